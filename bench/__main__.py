"""`python -m bench`: measure the app as `make serve` runs it, print (or record) the table.

Serving a team when Bria is slow: pages that need no Bria stay quick whatever Bria
does, slow clients cannot take the server, a burst of creates reuses connections to
Bria, and memory stays flat. The server models compared are measured in the same run,
one after another for each scenario (interleaved), on the same machine:

- gunicorn alone with 16 threads a worker (what `make serve` ran before),
- gunicorn alone with 64 threads a worker,
- nginx in front of gunicorn with 64 threads a worker (`make serve` now: deploy/serve).

Images (`bench/uploads.py`): a 200-file upload's memory and the pages meanwhile, the queue
paced by the request budget, the checks per file. Models (`bench/models.py`): trainings
followed while people read their pages, generated images on an open page.
`--only serving,images,models` runs some of the sections.
"""

from __future__ import annotations

import argparse
import platform
import threading
import time
from datetime import date
from pathlib import Path

from bench import measure, stack, uploads
from bench import models as bench_models
from bench.report import Row, machine, render, write_into_readme
from bench.stack import Model

README = Path(__file__).resolve().parent.parent / "README.md"
BEFORE = Model("gunicorn alone, 16 threads", "none", 16)
THREADS = Model("gunicorn alone, 64 threads", "none", 64)
CHOSEN = stack.MAKE_SERVE
MODELS = [BEFORE, THREADS, CHOSEN]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def slow_bria(args: argparse.Namespace) -> dict[Model, tuple[measure.Latencies, ...]]:
    """Bria answering in 5 s while people create: how quick are /healthz and the form?"""
    found = {}
    with stack.fake_api(5.0) as api:
        for model in MODELS:
            with stack.app_against(api, model) as app:
                people = lambda stop: measure.people_creating(app.url, args.people, stop)  # noqa: E731

                def creating_for(stop: threading.Event, people=people) -> measure.Latencies:
                    timer = threading.Timer(args.seconds, stop.set)
                    timer.start()
                    return people(stop)

                creates, (health, form) = measure.during(
                    creating_for,
                    lambda stop, url=app.url: measure.probe(url, "/healthz", stop),
                    lambda stop, url=app.url: measure.probe(url, "/", stop),
                )
                found[model] = (health, form, creates)
    return found


def slow_clients(args: argparse.Namespace) -> dict[Model, tuple[measure.Latencies, int]]:
    """200 clients trickling a header line every 2 s: how quick is /healthz meanwhile?"""
    found = {}
    with stack.fake_api(0.0) as api:
        for model in MODELS:
            with stack.app_against(api, model) as app:
                closed, (health,) = measure.during(
                    lambda stop, url=app.url: measure.trickling_clients(
                        url, args.slow_clients, args.trickle_seconds
                    ),
                    lambda stop, url=app.url: measure.probe(url, "/healthz", stop),
                )
                found[model] = (health, closed)
    return found


def ordinary_load(args: argparse.Namespace) -> tuple[measure.Latencies, float]:
    """People creating continuously against a Bria answering in 300 ms."""
    with stack.fake_api(args.api_delay) as api, stack.app_against(api, CHOSEN) as app:
        measure.sequential_creates(app.url, 5, new_connection_each=False)  # warm up
        stop = threading.Event()
        timer = threading.Timer(args.seconds, stop.set)
        started = time.perf_counter()
        timer.start()
        creates = measure.people_creating(app.url, args.people, stop)
        elapsed = time.perf_counter() - started
    return creates, len(creates.samples) / elapsed


def connections_and_floor(args: argparse.Namespace) -> dict[str, object]:
    """New browser connections against Bria connections, and a create against the floor."""
    with stack.fake_api(0.0) as api, stack.app_against(api, CHOSEN) as app:
        measure.sequential_creates(app.url, 5, new_connection_each=False)  # warm up
        before = stack.api_stats(api)
        measure.sequential_creates(app.url, 100, new_connection_each=True)
        after = stack.api_stats(api)
        weight = measure.form_weight(app.url)
        with stack.floor_against(api, CHOSEN) as floor:
            measure.floor_creates(floor.url, 20)  # warm up
            app_rounds, floor_rounds = [], []
            for _ in range(3):  # interleaved, so both meet the same machine
                app_rounds += measure.sequential_creates(app.url, args.creates // 3, False).samples
                floor_rounds += measure.floor_creates(floor.url, args.creates // 3).samples
    return {
        "new_connections": after["connections"] - before["connections"],
        "weight": weight,
        "app": measure.Latencies(app_rounds),
        "floor": measure.Latencies(floor_rounds),
    }


def memory(args: argparse.Namespace) -> tuple[int, int]:
    """The workers' memory after 1,000 creates and after 10,000."""
    with stack.fake_api(0.0) as api, stack.app_against(api, CHOSEN) as app:
        readings = []
        counted = measure.Latencies([])
        for target in (args.memory_creates // 10, args.memory_creates):
            stop = threading.Event()

            def until(target: int = target, stop: threading.Event = stop) -> None:
                while len(counted.samples) + counted.failures < target:
                    time.sleep(0.1)
                stop.set()

            watcher = threading.Thread(target=until)
            watcher.start()
            measure.people_creating(app.url, args.people, stop, counted)
            watcher.join()
            readings.append(measure.rss_bytes(app.worker_pids()))
    return readings[0], readings[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20, help="length of each load")
    parser.add_argument("--people", type=int, default=50, help="people creating at once")
    parser.add_argument("--api-delay", type=float, default=0.3, help="Bria's time, ordinary")
    parser.add_argument("--slow-clients", type=int, default=200)
    parser.add_argument("--trickle-seconds", type=float, default=60)
    parser.add_argument("--creates", type=int, default=300, help="creates timed in a row")
    parser.add_argument("--memory-creates", type=int, default=10_000)
    parser.add_argument("--upload-files", type=int, default=200, help="15 MB files, one request")
    parser.add_argument("--paced-images", type=int, default=120)
    parser.add_argument("--paced-rate", type=int, default=60, help="requests a minute")
    parser.add_argument("--models", type=int, default=50, help="models in training at once")
    parser.add_argument("--readers", type=int, default=20, help="people reading model pages")
    parser.add_argument("--generations", type=int, default=20)
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"some of: {', '.join(SECTIONS)}"
    )
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        parser.error(f"no such section: {', '.join(unknown)}")
    if args.readme and set(chosen) != set(SECTIONS):
        parser.error("--readme records the whole table: run every section")

    rows: list[Row] = []
    notes: list[str] = []
    for name in SECTIONS:
        if name in chosen:
            more_rows, more_notes = SECTIONS[name](args)
            rows += more_rows
            notes += more_notes
    notes.append(
        f"Measured {date.today().isoformat()} on {machine()}, Python {platform.python_version()}."
    )
    table = render(rows, notes)
    print(table)
    if args.readme:
        write_into_readme(README, table)
        print(f"Written into {README.name}.")
    return 0 if all(row.met is not False for row in rows) else 1


def serving(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    """Serving a team when Bria is slow (see the module's docstring)."""
    slow = slow_bria(args)
    trickled = slow_clients(args)
    creates, throughput = ordinary_load(args)
    linked = connections_and_floor(args)
    first_rss, last_rss = memory(args)

    rows: list[Row] = []
    for model in MODELS:
        health, form, _creates = slow[model]
        chosen = model is CHOSEN
        worst = max(health.p99, form.p99)
        rows.append(
            Row(
                f"Bria at 5 s, {args.people} people creating: /healthz and the form, p99 "
                f"({model.name})",
                f"{ms(health.p99)} and {ms(form.p99)}",
                "≤ 100 ms" if chosen else "",
                worst <= 0.1 if chosen else None,
            )
        )
    for model in MODELS:
        health, _closed = trickled[model]
        chosen = model is CHOSEN
        rows.append(
            Row(
                f"{args.slow_clients} clients trickling headers for {args.trickle_seconds:g} s: "
                f"/healthz p99 ({model.name})",
                f"{ms(health.p99)}, {health.failures} failed",
                "≤ 1 s" if chosen else "",
                (health.p99 <= 1 and health.failures == 0) if chosen else None,
            )
        )
    api_ms = args.api_delay
    wanted = args.people / args.api_delay
    rows += [
        Row(
            f"Bria at {ms(api_ms)}, {args.people} people creating: create median ÷ Bria's time",
            f"{creates.median / api_ms:.2f} ({ms(creates.median)})",
            "",
            None,
        ),
        Row(
            "… create p99 ÷ Bria's time",
            f"{creates.p99 / api_ms:.2f} ({ms(creates.p99)})",
            "",
            None,
        ),
        Row(
            f"… creates per second ÷ {wanted:.0f}",
            f"{throughput / wanted:.2f} ({throughput:.0f}/s, {creates.failures} failed)",
            "",
            None,
        ),
        Row(
            "100 creates in a row, each from a new browser connection: new connections to Bria",
            str(linked["new_connections"]),
            "≤ 4 (2 workers × 2)",
            linked["new_connections"] <= 4,
        ),
    ]
    app_times, floor_times = linked["app"], linked["floor"]
    ratio = app_times.median / floor_times.median
    rows += [
        Row(
            "A whole create (send, redirect, page) ÷ the bare-forwarding floor, medians",
            f"{ratio:.2f} ({ms(app_times.median)} ÷ {ms(floor_times.median)})",
            "",
            None,
        ),
        Row(
            f"Workers' memory after {args.memory_creates:,} creates ÷ after "
            f"{args.memory_creates // 10:,}",
            f"{last_rss / first_rss:.2f} ({last_rss / 2**20:.0f} MB ÷ {first_rss / 2**20:.0f} MB)",
            "≤ 1.10",
            last_rss / first_rss <= 1.10,
        ),
    ]
    weight = linked["weight"]
    rows += [
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
        "Serving: each figure comes from this one run; the server models were measured one "
        f"after another in each scenario. Loads last {args.seconds:g} s; probes ask every 50 ms "
        "on a new connection, as a load balancer does. The fake Bria runs in its own process on "
        "the same machine; so does the load (Python threads), which shares the cores with the "
        "app.",
        f"Create against the floor: {len(app_times.samples)} creates each, in three interleaved "
        "rounds, one after another; the floor (`bench/floor.py`) forwards the form with "
        "`requests` and redirects, served the same way. Bria allows 10 to 1,000 requests a "
        "minute: 50 people creating at once against a 300 ms Bria (167 a second), and what "
        "a create costs beside bare forwarding, are figures of what the app does, not targets.",
    ]
    return rows, notes


def images(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    """A 200-file upload, the queue paced by the budget, and the checks per file."""
    jpeg = uploads.noise_jpeg(uploads.FIFTEEN_MB)
    checked = uploads.preflight(jpeg)
    big = uploads.big_upload(args.upload_files, 1000)
    paced = uploads.pacing(args.paced_images, args.paced_rate)
    mb = big.file_bytes / 2**20
    rows = [
        Row(
            f"Checks before a {mb:.0f} MB JPEG is queued, median",
            ms(checked.median),
            "≤ 50 ms",
            checked.median <= 0.05,
        ),
        Row(
            f"{big.files} files of {mb:.0f} MB in one request through nginx: "
            "the most a worker's memory rose",
            f"{big.memory_rise / 2**20:.0f} MB (answered {big.upload.status} in "
            f"{big.upload.seconds:.0f} s)",
            "≤ 64 MB",
            big.memory_rise <= 64 * 2**20 and big.upload.status == 303,
        ),
    ]
    for phase, found in (("received", big.receiving), ("sent to Bria", big.sending)):
        worst = max(latency.p99 for latency in found.values())
        rows.append(
            Row(
                f"… p99 of /healthz, the project list and the dataset page while it is {phase}",
                ", ".join(f"{ms(latency.p99)}" for latency in found.values())
                + f" ({sum(latency.failures for latency in found.values())} failed)",
                "≤ 100 ms",
                worst <= 0.1 and not any(latency.failures for latency in found.values()),
            )
        )
    wanted = paced.images / paced.requests_per_minute
    rows += [
        Row(
            f"{paced.images} images at {paced.requests_per_minute} requests a minute, Bria at "
            "300 ms: minutes until all are at Bria ÷ N/R",
            f"{paced.minutes / wanted:.2f} ({paced.minutes:.2f} min)",
            "≤ 1.1",
            paced.minutes / wanted <= 1.1,
        ),
        Row(
            "… the most requests Bria saw in any 60 s",
            f"{paced.busiest_minute} (of {paced.requests} in all)",
            f"≤ {paced.requests_per_minute}",
            paced.busiest_minute <= paced.requests_per_minute,
        ),
    ]
    notes = [
        f"Images: each file is a {mb:.0f} MB JPEG of noise (a photo of that size), no two the "
        "same; the upload is one multipart request, streamed, as the page's form sends it. The "
        f"{big.files} files reached the fake Bria ({big.at_bria} of them) in "
        f"{big.sent_seconds:.0f} s at 1,000 requests a minute; the probes ask every 100 ms.",
    ]
    return rows, notes


def models_and_generation(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    """Trainings followed while people read, and generated images on an open page."""
    rate = 60
    followed = bench_models.following(args.models, args.readers, rate, 60.0)
    fast = bench_models.generated(1000, args.generations)
    slow = bench_models.generated(10, 3, every=60.0)
    slow_pace = 60 / (10 // 2)
    rows = [
        Row(
            f"{followed.models} models training, {followed.people} people reading their pages: "
            "the shortest time between two reads of one model",
            f"{followed.smallest_gap:.1f} s",
            "≥ 5 s",
            followed.smallest_gap >= 5,
        ),
        Row(
            f"… the follower's model reads a minute, alone, at {rate} requests a minute",
            f"{followed.follower_per_minute:.0f} (with people: "
            f"{followed.with_people_per_minute:.0f})",
            f"≤ {rate // 2} (half)",
            followed.follower_per_minute <= rate // 2,
        ),
        Row(
            "… model pages, p99",
            f"{ms(followed.pages.p99)} ({len(followed.pages.samples)} pages, "
            f"{followed.pages.failures} failed)",
            "≤ 100 ms",
            followed.pages.p99 <= 0.1 and not followed.pages.failures,
        ),
        Row(
            f"… {followed.people} model pages asked for in the same instant: the slowest",
            f"{ms(max(followed.burst.samples, default=0))} ({followed.burst.failures} failed)",
            "",
            None,
        ),
        Row(
            "A generated image on the open page after Bria made it (budget 1,000 a minute): "
            "median and p95",
            f"{fast.delays.median:.1f} s and {measure.percentile(fast.delays.samples, 0.95):.1f} s"
            f" ({fast.delays.failures} failed)",
            "≤ 2 s",
            fast.delays.median <= 2 and not fast.delays.failures,
        ),
        Row(
            f"… at 10 requests a minute (a read every {slow_pace:.0f} s), an image a minute: "
            "median and the longest",
            f"{slow.delays.median:.1f} s and {max(slow.delays.samples, default=0):.1f} s",
            f"≤ {slow_pace + 2:.0f} s",
            max(slow.delays.samples, default=float("inf")) <= slow_pace + 2,
        ),
    ]
    notes = [
        f"Models: the fake Bria answers at once; its models train for a day. The follower "
        f"was measured alone for {followed.follower_seconds:.0f} s, then with people for 60 s: "
        "first all of them opening a page in the same instant, then each reading a page a "
        "second, from a moment of their own in the first second (the p99). "
        "Generated images: the fake makes each in 3 s; the page's script asks the app every "
        "half second, as `static/models.js` does. At 1,000 requests a minute they are asked "
        "one after another; at 10 a minute one a minute, since each costs the budget its "
        "request, its looks and the page's own reads (asked faster, the next look waits "
        "for the budget, up to a minute).",
    ]
    return rows, notes


SECTIONS = {"serving": serving, "images": images, "models": models_and_generation}


if __name__ == "__main__":
    raise SystemExit(main())
