"""Command line: ``iej-impact run | validate | simulate``.

Exit codes: 0 success; 2 the user's config or data is wrong (one message naming the YAML
location, file, column or rows; no traceback unless ``--debug``); 1 an estimation failed or an
internal error; 130 / 143 interrupted by Ctrl-C (SIGINT) / SIGTERM, after removing the
partial outputs (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from . import __version__
from .errors import ConfigError, DataError, EstimationError, SpecificationError

EXIT_OK, EXIT_FAILED, EXIT_USER = 0, 1, 2
EXIT_SIGINT, EXIT_SIGTERM = 128 + 2, 128 + 15  # the shell's codes for a command ended by these signals


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="iej-impact", description="Counterfactual impact evaluation of youth-employment programmes.")
    p.add_argument("--version", action="version", version=f"iej-impact {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run every analysis in a YAML config")
    r.add_argument("config", type=Path)
    r.add_argument("--output-dir", default=None, help="overrides project.output_dir (relative to the current directory)")
    r.add_argument("--force", action="store_true", help="replace a previous output directory of iej-impact")
    r.add_argument("--only", nargs="+", metavar="NAME", help="run only these analyses")
    r.add_argument("--debug", action="store_true", help="show tracebacks")
    _progress_flag(r)

    v = sub.add_parser("validate", help="parse the config, load data, check columns and parameters (no estimation)")
    v.add_argument("config", type=Path)
    v.add_argument("--debug", action="store_true")
    _progress_flag(v)

    s = sub.add_parser("simulate", help="write the synthetic IEJ cohort and its true effects")
    s.add_argument("--output-dir", default="synthetic_cohort")
    s.add_argument("--seed", type=int, default=20180101)
    s.add_argument("--n-participants", type=int, default=5000)
    s.add_argument("--comparison-ratio", type=float, default=2.0)
    s.add_argument("--panel", choices=["window", "balanced", "none"], default=None,
                   help="monthly panel (default: window; balanced with --raw)")
    s.add_argument("--format", choices=["csv", "parquet"], default="csv")
    s.add_argument("--raw", action="store_true",
                   help="write raw MDFSE, mission-locale and employment-register extracts (and truth.json) instead "
                        "of the canonical tables; see docs/how-to/raw-extracts.md")
    s.add_argument("--force", action="store_true", help="replace a previous output directory of iej-impact")
    s.add_argument("--debug", action="store_true")
    return p


def _progress_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show (or hide) progress bars on stderr during long steps; default: shown only when "
                        "stderr is a terminal")


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when SIGTERM arrives, so the clean-up paths of Ctrl-C run for it too."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Turn SIGTERM (timeout, CI cancellation, docker stop) into :class:`Terminated` while a command runs.

    Only in the main thread and only when SIGTERM has its default disposition (an ignored SIGTERM
    stays ignored); the previous handler is restored afterwards.
    """
    install = (threading.current_thread() is threading.main_thread()
               and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)
    if install:
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        if install:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (testable without a subprocess)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors exit 2, --help/--version exit 0
        return int(exc.code or 0)
    try:
        with _sigterm_interrupts():
            return _command(args)
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: outputs were cleaned up on the way out
        name = "SIGTERM" if isinstance(exc, Terminated) else "SIGINT"
        if args.debug:
            traceback.print_exception(exc, file=sys.stderr)
        print(f"iej-impact: interrupted ({name})", file=sys.stderr)
        return EXIT_SIGTERM if name == "SIGTERM" else EXIT_SIGINT


def _command(args: argparse.Namespace) -> int:
    from ._progress import show_progress

    try:
        with show_progress(getattr(args, "progress", None)):  # None: only when stderr is a terminal
            return _dispatch(args)
    except (ConfigError, DataError, SpecificationError) as exc:
        _error(exc, args.debug, kind="error")
        return EXIT_USER
    except EstimationError as exc:
        _error(exc, args.debug, kind="estimation failed")
        return EXIT_FAILED
    except MemoryError as exc:  # name the step that ran out, and what the machine has
        where = getattr(exc, "iej_step", None)
        _error(exc, args.debug, kind=f"out of memory{f' in step {where}' if where else ''}")
        return EXIT_FAILED
    except Exception as exc:  # an internal error: say so, keep the traceback for --debug
        where = getattr(exc, "iej_step", None)
        _error(exc, args.debug, kind=f"internal error ({type(exc).__name__}){f' in step {where}' if where else ''}")
        return EXIT_FAILED


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        return _run(args)
    if args.command == "validate":
        return _validate(args)
    return _simulate(args)


def _error(exc: BaseException, debug: bool, *, kind: str) -> None:
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    text = str(exc) or ("the process could not allocate more memory (see the manifest's peak_mb per step of a "
                        "smaller run; lower the sizes, or read large panels from Parquet)"
                        if isinstance(exc, MemoryError) else type(exc).__name__)
    print(f"iej-impact: {kind}: {text}", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    from .runner import run

    res = run(args.config, output_dir=args.output_dir, force=args.force, only=args.only)
    print(f"Results: {res.output_dir / 'results.json'}")
    if res.report_path is not None:
        print(f"Report: {res.report_path}")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from .runner import validate

    info = validate(args.config)
    print(f"OK: {args.config}: {info['rows']} rows read, {info['rows_in_sample']} in the sample; "
          f"analyses checked: {', '.join(info['analyses'])}")
    return EXIT_OK


def _simulate(args: argparse.Namespace) -> int:
    from ._output_dir import check_output_dir, staged
    from .datasets.synthetic._cohort import simulate_cohort

    panel = args.panel or ("balanced" if args.raw else "window")
    if args.raw and panel != "balanced":
        raise SpecificationError(f"--raw writes a quarterly register covering every quarter for everyone: it needs "
                                 f"--panel balanced (the default with --raw); got --panel {panel}.")
    if args.raw and args.format != "csv":
        raise SpecificationError("--raw writes the extracts as delimited text (their own formats); remove --format.")
    target = check_output_dir(args.output_dir, kind="simulate", force=args.force, location="--output-dir")
    cohort = simulate_cohort(args.n_participants, comparison_ratio=args.comparison_ratio, seed=args.seed, panel=panel)
    with staged(target) as tmp:
        if args.raw:
            from .datasets.synthetic._raw_extracts import export_raw_extracts

            export_raw_extracts(cohort, tmp)
        else:
            cohort.write(tmp, format=args.format)
    what = "Raw extracts of the synthetic cohort" if args.raw else "Synthetic cohort"
    print(f"{what} ({args.n_participants} participants, seed {args.seed}) written to {args.output_dir}")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
