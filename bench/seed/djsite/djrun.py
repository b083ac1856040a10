"""A small Django site (app `catalog`) driven by Django's test client:
requests through URL routing and middleware to views that query SQLite
through the ORM and render templates (inheritance, loops, filters,
includes), plus a JSON view and a form POST.

    python djrun.py DB_PATH [REQUESTS]

DB_PATH: the SQLite file (recreated). REQUESTS (default 600): requests in
the timed loop. Prints BENCH {"ns": the request loop, "requests": N,
"setup_ns": django.setup + schema + data}.
"""
import json
import os
import sys
import time

t_start = time.perf_counter_ns()
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import django  # noqa: E402
from django.conf import settings  # noqa: E402


def configure(db_path):
    settings.configure(
        SECRET_KEY="seed-bench-not-secret", DEBUG=False,
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=["django.contrib.contenttypes", "catalog"],
        MIDDLEWARE=["django.middleware.common.CommonMiddleware",
                    "django.middleware.csrf.CsrfViewMiddleware"],
        ROOT_URLCONF="catalog.urls",
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3",
                               "NAME": db_path}},
        DEFAULT_AUTO_FIELD="django.db.models.AutoField", USE_TZ=True,
        TEMPLATES=[{"BACKEND": "django.template.backends.django."
                    "DjangoTemplates", "APP_DIRS": True,
                    "OPTIONS": {"debug": False}}])
    django.setup()


def main():
    db_path = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 600
    if os.path.exists(db_path):
        os.unlink(db_path)
    configure(db_path)
    from django.core.management import call_command
    from django.test import Client
    from catalog.models import populate
    call_command("migrate", run_syncdb=True, verbosity=0)
    populate()
    client = Client()
    paths = ["/", "/category/%d/", "/product/%d/", "/api/category/%d/",
             "/search/?q=item+%d"]
    t0 = time.perf_counter_ns()
    failures = 0
    for i in range(n):
        kind = i % 6
        if kind == 5:
            r = client.post("/product/%d/review/" % (1 + i % 200),
                            {"author": "user%d" % i, "stars": 1 + i % 5,
                             "text": "review %d" % i})
            ok = r.status_code == 302
        else:
            path = paths[kind]
            if "%d" in path:
                path = path % (1 + i % 20 if kind in (1, 3) else 1 + i % 200)
            r = client.get(path)
            ok = r.status_code == 200
        failures += not ok
    t1 = time.perf_counter_ns()
    print("BENCH " + json.dumps({"ns": t1 - t0, "requests": n,
                                 "setup_ns": t0 - t_start,
                                 "failures": failures}), flush=True)


main()
