"""The escalation flood, before and after the daily digest: the community worker's inbox over one day.

    .venv/bin/python bench/digest_flood.py               (the whole Xincheng demo; a few minutes)
    .venv/bin/python bench/digest_flood.py --scale 0.05  (quicker, fewer appeals)

Loads the demo once into a throwaway SQLite database (its own GONGZHI_VAR_DIR) and copies it, then in each copy
plays one day of the deadline watch as bin/serve does: a round every five minutes for 24 hours from the demo's
load (manage.py watch_deadlines' round at that moment: reminders, escalations, the outbox drained at once by
the immediate task backend, the digests asked for). "before": every user's reminders and escalations set to
arrive at once (what every event did before preferences); "after": the sources' defaults (both in the daily
digest, built at NOTIFICATION_DIGEST_TIME). Prints, for community_worker, the unread inbox items at the end, the
most that arrived in any five-minute round, and what the digest gathered.
"""
import argparse
import datetime
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _appeals_setup as setup  # noqa: E402

WHO = "community_worker"
ROUND = datetime.timedelta(minutes=5)


def child(mode):
    import django

    django.setup()
    from django.utils import timezone

    from gongzhi.accounts.models import User
    from gongzhi.appeals.deadlines import watch_deadlines
    from gongzhi.notifications import digest, tasks
    from gongzhi.notifications.models import DIGEST_SOURCE, DigestEntry, Notification, NotificationPreference

    if mode == "before":
        NotificationPreference.objects.bulk_create(
            NotificationPreference(user=u, source="appeals", action=a, delivery="instant")
            for u in User.objects.all() for a in ("remind", "escalate"))
    who = User.objects.get(username=WHO)
    start = timezone.now()
    worst, reminded, escalated = 0, 0, 0
    t = start
    while t <= start + datetime.timedelta(days=1):
        before = Notification.objects.filter(recipient=who).count()
        r, e = watch_deadlines(t)
        reminded, escalated = reminded + r, escalated + e
        tasks.drain_notifications.call()
        digest.build_digests(now=t)
        worst = max(worst, Notification.objects.filter(recipient=who).count() - before)
        t += ROUND
    digests = Notification.objects.filter(recipient=who, source=DIGEST_SOURCE)
    print(json.dumps({
        "mode": mode, "reminded": reminded, "escalated": escalated,
        "unread": Notification.objects.filter(recipient=who, read_at__isnull=True).count(),
        "escalation_items": Notification.objects.filter(recipient=who, action__in=("escalate", "remind")).count(),
        "most_in_one_round": worst, "digests": [d.title for d in digests],
        "gathered": DigestEntry.objects.filter(recipient=who, digest__isnull=False).count(),
        "waiting_for_next_digest": DigestEntry.objects.filter(recipient=who, digested_at__isnull=True).count(),
    }, ensure_ascii=False))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="1")
    parser.add_argument("--child", choices=("before", "after"))
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    work = Path(tempfile.mkdtemp(prefix="gongzhi-digest-"))
    try:
        loaded = setup.Target("sqlite", work / "loaded").create()
        t0 = time.perf_counter()
        setup.manage(loaded, "migrate", "--noinput", "-v", "0")
        setup.manage(loaded, "load_demo", *(["--scale", args.scale] if args.scale != "1" else []))
        print(f"demo loaded in {time.perf_counter() - t0:.0f} s", flush=True)
        for mode in ("before", "after"):
            target = setup.Target("sqlite", work / mode)
            shutil.copytree(loaded.var_dir, target.var_dir)
            proc = subprocess.run([setup.PYTHON, __file__, "--child", mode], cwd=setup.ROOT, text=True,
                                  capture_output=True, env=target.env(
                                      TASKS_BACKEND="django_tasks.backends.immediate.ImmediateBackend"))
            if proc.returncode:
                sys.stderr.write(proc.stdout + proc.stderr)
                return 1
            print(proc.stdout.strip().splitlines()[-1], flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
