"""playbooks/adopt.yml on a real test host, reading only (datamig_adopt_take_over=false): a
hand-deployed Django site recorded as it is, its password kept out of the record and the
output, a wrong description refused."""

import json

from tests.hosts.ansible import inventory, run_playbook

PASSWORD = "adopt-pw-$-'q'"
STATE_DIR = "/srv/datamig-state/shop"


def _site_vars(venv="/srv/shop/venv"):
    return {
        "datamig_adopt_layout": "django",
        "datamig_adopt_take_over": False,  # only read and record (test_adopt_upgrade takes over)
        "datamig_adopt_state_dir": STATE_DIR,
        "datamig_adopt_database_password": PASSWORD,
        "datamig_adopt_description": {
            "project_dir": "/srv/shop",
            "settings_module": "shop.settings",
            "venv": venv,
            "database": {
                "vendor": "postgresql",
                "name": "shop",
                "user": "shop",
                "host": "localhost",
            },
            "programs": ["shop-gunicorn", {"name": "shop-worker", "role": "background"}],
            "app_server": "gunicorn",
            "web_server": {"kind": "nginx", "config": "/etc/nginx/sites-available/shop.conf"},
            "run_user": "www-data",
        },
    }


def test_a_hand_deployed_site_is_adopted_once_and_a_wrong_one_refused(test_host):
    test_host.run(
        "mkdir -p /srv/shop/venv/bin && touch /srv/shop/venv/bin/python /srv/shop/settings.py"
        " && printf 'server { listen 8080; }\\n' > /etc/nginx/sites-available/shop.conf",
        check=True,
    )
    before = test_host.run(
        "find /srv/shop /etc/nginx -type f -exec sha256sum {} + | sort", check=True
    ).stdout
    hosts = inventory([test_host], {test_host.name: _site_vars()})
    first = run_playbook("playbooks/adopt.yml", hosts)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "django site " + test_host.name in first.stdout
    assert PASSWORD not in first.stdout + first.stderr
    record = json.loads(test_host.run(f"cat {STATE_DIR}/adopted.json", check=True).stdout)
    assert record["venv"] == "/srv/shop/venv" and record["database"]["password_set"] is True
    assert [p["name"] for p in record["programs"]] == ["shop-gunicorn", "shop-worker"]
    assert test_host.run(f"stat -c %a {STATE_DIR}/adopted.json", check=True).stdout.strip() == "600"
    assert PASSWORD not in test_host.run(f"cat {STATE_DIR}/adopted.json", check=True).stdout
    # nothing of the site changed
    after = test_host.run(
        "find /srv/shop /etc/nginx -type f -exec sha256sum {} + | sort", check=True
    ).stdout
    assert after == before
    again = run_playbook("playbooks/adopt.yml", hosts)
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout

    test_host.run(f"rm -r {STATE_DIR}", check=True)
    wrong = inventory([test_host], {test_host.name: _site_vars(venv="/srv/shop/no-venv")})
    refused = run_playbook("playbooks/adopt.yml", wrong)
    assert refused.returncode != 0
    assert "venv /srv/shop/no-venv does not exist" in refused.stdout
    assert PASSWORD not in refused.stdout + refused.stderr
    assert test_host.run(f"test -e {STATE_DIR}").returncode != 0
