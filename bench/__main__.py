"""`python -m bench`: measure the app as `make serve` runs it, and print (or record) the table.

1. Throughput: wrk against the form page and against a bare Flask "hello", both
   under gunicorn with `gunicorn.conf.py`, alternating, best of the rounds each.
2. A whole create (POST, redirect, result page) against a fake API that answers at
   once, one after another: what the app adds to the API's own time.
3. Sixteen creates at the same instant against a fake API that takes 0.3 s per call,
   first with the app just started (nothing cached), then the median of five more.
   A bare Flask app that only forwards the form (`bench/floor.py`) gives the floor
   under the create figure of step 2.
4. The form page's weight with everything it loads, and loads from elsewhere.
"""

from __future__ import annotations

import argparse
import platform
import statistics
from datetime import date
from pathlib import Path

from bench import measure, stack
from bench.report import Row, machine, render, write_into_readme

README = Path(__file__).resolve().parent.parent / "README.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5, help="length of each wrk round")
    parser.add_argument("--rounds", type=int, default=3, help="wrk rounds per server")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--creates", type=int, default=300, help="sequential creates timed")
    parser.add_argument("--api-delay", type=float, default=0.3, help="fake API delay (burst)")
    parser.add_argument("--people", type=int, default=16, help="creates in the burst")
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    args = parser.parse_args(argv)

    with stack.fake_api(0.0) as api, stack.app_against(api) as app, stack.hello() as hello:
        form_rates, hello_rates = [], []
        for _ in range(args.rounds):
            hello_rates.append(
                measure.requests_per_second(hello + "/", args.seconds, args.connections)
            )
            form_rates.append(
                measure.requests_per_second(app + "/", args.seconds, args.connections)
            )
        timings = measure.create_timings(app, api, stack.TOKEN, args.creates)
        weight = measure.form_weight(app)
        with stack.floor_against(api) as floor:
            floor_timings = measure.create_timings(floor, api, stack.TOKEN, args.creates)

    with stack.fake_api(args.api_delay) as slow_api, stack.app_against(slow_api) as app:
        cold = measure.burst_seconds(app, args.people)
        # Each worker lists projects the first time it checks a name: by the later
        # bursts every worker has, as in an app that has been up for a while.
        warm = statistics.median(measure.burst_seconds(app, args.people) for _ in range(5))

    ratio = max(form_rates) / max(hello_rates)
    delay_ms = args.api_delay * 1000
    rows = [
        Row("Form page, requests per second", f"{max(form_rates):,.0f}", "", None),
        Row('Bare Flask "hello", requests per second', f"{max(hello_rates):,.0f}", "", None),
        Row("Form page ÷ hello", f"{ratio:.2f}", "≥ 0.35", ratio >= 0.35),
        Row(
            "Time a whole create adds to the API's, median",
            f"{timings.median_ms:.1f} ms",
            "≤ 5 ms",
            timings.median_ms <= 5,
        ),
        Row("… 99th percentile", f"{timings.p99_ms:.1f} ms", "", None),
        Row(
            "… the same for a bare Flask app that only forwards the form (`bench/floor.py`)",
            f"{floor_timings.median_ms:.1f} ms, p99 {floor_timings.p99_ms:.1f} ms",
            "",
            None,
        ),
        Row(
            f"{args.people} creates at once, API {delay_ms:.0f} ms per call, app just started",
            f"{cold:.2f} s",
            "≤ 1 s",
            cold <= 1,
        ),
        Row("… the same, median of 5 bursts after that", f"{warm:.2f} s", "≤ 1 s", warm <= 1),
        Row(
            "Form page with everything it loads",
            f"{weight.total_bytes / 1024:.1f} KB in {len(weight.by_url)} files",
            "≤ 30 KB",
            weight.total_bytes <= 30 * 1024,
        ),
        Row(
            "Requests leaving the app's origin",
            str(len(weight.elsewhere)),
            "0",
            not weight.elsewhere,
        ),
    ]
    notes = [
        f"Throughput: best of {args.rounds} wrk rounds of {args.seconds:g} s with "
        f"{args.connections} connections, each server under `gunicorn.conf.py`. Create: "
        f"{timings.samples} creates in a row (send, redirect, result page: one API call), each "
        "minus the same call made straight to a fake API that answers at once. Burst: whole "
        f"creates against a fake API taking {delay_ms:.0f} ms a call, plus, in a worker that has "
        "not listed projects in the last 30 s, one list shared by its threads.",
        f"Measured {date.today().isoformat()} on {machine()}, Python {platform.python_version()}.",
    ]
    table = render(rows, notes)
    print(table)
    if args.readme:
        write_into_readme(README, table)
        print(f"Written into {README.name}.")
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
