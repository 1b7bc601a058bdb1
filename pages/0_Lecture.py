"""The lecture as a guided tour: one claim per step, with its live evidence; PageDown/PageUp step through."""

from rnnviz.ui import page_frame, tour
from rnnviz.ui.runs import train_ahead

page_frame(
    __file__,
    lead=(
        "The lecture's argument, one step at a time: each step states a claim and shows the live evidence "
        "for it, computed at that step's settings. **PageDown** and **PageUp** (a presentation clicker) "
        "step forward and back, **Home** and **End** jump to the first and last step; scan the QR code to "
        "follow on your phone."
    ),
)
train_ahead(*tour.TRAINED)  # the tour's training runs, one after another, so the hall finds them stored
tour.show()
