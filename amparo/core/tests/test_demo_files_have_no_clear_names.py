"""The files a thief would take (the SQLite database and its write-ahead log, the
background-job queue and an encrypted backup) hold none of the demo's names or phone
numbers in clear, after a real alert has been sent from the demo database."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings

REPO = Path(settings.REPO_DIR)

# Run inside `amparo shell` on the demo database: launch a squad alert on the confirmed
# Holyoke incident, send every text it queued, then print a sample of names and every
# phone number (decrypted) as one JSON line for the test to search for.
SCRIPT = r"""
import json, random
from amparo.accounts.models import User
from amparo.alerts.models import AlertKind, Facility
from amparo.alerts.services import alert_create, alert_launch
from amparo.channels.models import Delivery
from amparo.channels.outbox import outbox_drain
from amparo.people.models import Person, PersonPhone
from amparo.reports.models import Incident, IncidentStatus

live = (IncidentStatus.CONFIRMED, IncidentStatus.RESPONDING)
incident = next(
    i for i in Incident.objects.filter(status__in=live).order_by("pk")
    if i.place is not None and i.place.name == "Holyoke"
)
actor = next(u for u in User.objects.all() if u.email == "coordinator@valle.example")
alert = alert_create(network=incident.network, kind=AlertKind.SQUAD, incident=incident)
alert = alert_launch(alert=alert, actor=actor)
for sender in set(Delivery.objects.filter(status="queued").values_list("sender", flat=True)):
    outbox_drain(sender=sender, max_seconds=20)
sent = Delivery.objects.filter(alert=alert).exclude(status="queued").count()
people = list(Person.objects.all())
names = [p.name for p in random.Random(7).sample(people, min(50, len(people)))]
numbers = [p.number for p in PersonPhone.objects.all()]
public_numbers = [f.phone for f in Facility.objects.all() if f.phone]
from amparo.people.models import Organization, Place
public_words = sorted({
    word
    for label in [
        *(o.name for o in Organization.objects.all()),
        *(p.name for p in Place.objects.all()),
        *(f.name for f in Facility.objects.all()),
    ]
    for word in str(label).split()
})
print("CANARIES " + json.dumps(
    {"sent": sent, "names": names, "numbers": numbers, "public_numbers": public_numbers,
     "public_words": public_words}
))
"""


def _amparo(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AMPARO_")}
    full_env.pop("DATABASE_URL", None)
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "amparo", *args],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# A phone number in any spelling (E.164, digits only, national, "(413) 555-0190"): runs
# of digits and phone punctuation, in UTF-8 and both UTF-16 byte orders, reduced to
# their digits; a number is in clear when its ten national digits are inside a run.
RUNS = (
    re.compile(rb"[0-9()+\- .]{10,}"),
    re.compile(rb"(?:[0-9()+\- .]\x00){10,}"),
    re.compile(rb"(?:\x00[0-9()+\- .]){10,}"),
)


# Sealed values are stored as base64 text, where any five letters turn up by chance
# (about once per million characters: the database holds a few million), so a name
# part is searched for outside runs of it. A name in clear is never inside one: its
# spaces and punctuation break the run.
BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{32,}={0,2}")


def _ten_digit_windows(blob: bytes) -> set[str]:
    windows: set[str] = set()
    for pattern in RUNS:
        for run in pattern.findall(blob):
            digits = re.sub(rb"[^0-9]", b"", run).decode()
            windows |= {digits[i : i + 10] for i in range(len(digits) - 9)}
    return windows


def test_demo_database_queue_and_backup_hold_no_clear_names(tmp_path):
    env = {"AMPARO_DATA_DIR": str(tmp_path)}
    demo = _amparo("demo", "--no-serve", env=env)
    assert demo.returncode == 0, demo.stderr
    keyed = {
        **env,
        "AMPARO_DEMO": "1",
        "AMPARO_MASTER_KEY_FILE": str(tmp_path / "demo-keys/master.key"),
        "AMPARO_INDEX_KEY_FILE": str(tmp_path / "demo-keys/index.key"),
    }
    shell = _amparo("shell", "-c", SCRIPT, env=keyed)
    assert shell.returncode == 0, shell.stderr
    line = next(x for x in shell.stdout.splitlines() if x.startswith("CANARIES "))
    found = json.loads(line.removeprefix("CANARIES "))
    assert found["sent"] > 0  # the alert really went out
    assert len(found["names"]) == 50 and len(found["numbers"]) > 100

    keys = tmp_path / "backup-keys"
    made = _amparo("generate-backup-keys", "--out", str(keys), env=keyed)
    assert made.returncode == 0, made.stderr
    public = next(p for p in keys.iterdir() if "pub" in p.name)
    backup = tmp_path / "backup.amparo"
    done = _amparo("backup", "--to", str(backup), "--public-key", str(public), env=keyed)
    assert done.returncode == 0, done.stderr

    files = [
        tmp_path / "amparo.sqlite3",
        tmp_path / "amparo.sqlite3-wal",
        tmp_path / "huey.sqlite3",
        tmp_path / "huey.sqlite3-wal",
        tmp_path / "var" / "huey.sqlite3",
        backup,
    ]
    blobs = {str(f.relative_to(tmp_path)): f.read_bytes() for f in files if f.exists()}
    assert {"amparo.sqlite3", "huey.sqlite3", "backup.amparo"} <= set(blobs)
    assert len(blobs["amparo.sqlite3"]) > 100_000

    needles: set[str] = set()
    for name in found["names"]:
        # a part is searched alone too, unless it is also in a public label (a
        # congregation, a town or a facility is named in clear by design)
        parts = [p for p in name.split() if len(p) >= 5 and p not in found["public_words"]]
        needles |= {name, *parts}
    encoded = [
        (needle, needle.encode(codec))
        for needle in sorted(needles)
        for codec in ("utf-8", "utf-16-le", "utf-16-be")
    ]
    public = set(found["public_numbers"])  # facilities' desk numbers: clear by design
    numbers = {n[-10:]: n for n in found["numbers"] if n.startswith("+1") and n not in public}
    assert len(numbers) > 100
    leaks = []
    for fname, blob in blobs.items():
        text = BASE64_RUN.sub(b"\n", blob)
        leaks += [f"{needle!r} in {fname}" for needle, raw in encoded if raw in text]
        windows = _ten_digit_windows(blob)
        leaks += [f"{full!r} in {fname}" for ten, full in numbers.items() if ten in windows]
    assert not leaks, leaks[:20]
