"""Command line: ``iej-impact run | validate | simulate``.

Exit codes: 0 success; 2 the user's config or data is wrong (one message naming the YAML
location, file, column or rows; no traceback unless ``--debug``); 1 an estimation failed or an
internal error.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import ConfigError, DataError, EstimationError, SpecificationError

EXIT_OK, EXIT_FAILED, EXIT_USER = 0, 1, 2


def _folder(text: str) -> Path:
    """An --output-dir value: a non-empty path ('' would silently mean the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; give the output folder (e.g. runs/npdc)")
    return Path(text)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="iej-impact", description="Counterfactual impact evaluation of youth-employment programmes.")
    p.add_argument("--version", action="version", version=f"iej-impact {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run every analysis in a YAML config")
    r.add_argument("config", type=Path)
    r.add_argument("--output-dir", type=_folder, default=None, help="overrides project.output_dir")
    r.add_argument("--force", action="store_true", help="replace an existing output directory")
    r.add_argument("--only", nargs="+", metavar="NAME", help="run only these analyses")
    r.add_argument("--debug", action="store_true", help="show tracebacks")

    v = sub.add_parser("validate", help="parse the config, load data, check columns and parameters (no estimation)")
    v.add_argument("config", type=Path)
    v.add_argument("--debug", action="store_true")

    s = sub.add_parser("simulate", help="write the synthetic IEJ cohort and its true effects")
    s.add_argument("--output-dir", type=_folder, default=Path("synthetic_cohort"))
    s.add_argument("--seed", type=int, default=20180101)
    s.add_argument("--n-participants", type=int, default=5000)
    s.add_argument("--comparison-ratio", type=float, default=2.0)
    s.add_argument("--panel", choices=["window", "balanced", "none"], default="window")
    s.add_argument("--format", choices=["csv", "parquet"], default="csv")
    s.add_argument("--force", action="store_true", help="replace an existing output directory")
    s.add_argument("--debug", action="store_true")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (testable without a subprocess)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors exit 2, --help/--version exit 0
        return int(exc.code or 0)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "validate":
            return _validate(args)
        return _simulate(args)
    except (ConfigError, DataError, SpecificationError) as exc:
        _error(exc, args.debug, kind="error")
        return EXIT_USER
    except EstimationError as exc:
        _error(exc, args.debug, kind="estimation failed")
        return EXIT_FAILED
    except Exception as exc:  # an internal error: say so, keep the traceback for --debug
        _error(exc, args.debug, kind=f"internal error ({type(exc).__name__})")
        return EXIT_FAILED


def _error(exc: BaseException, debug: bool, *, kind: str) -> None:
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    print(f"iej-impact: {kind}: {exc}", file=sys.stderr)


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
    import os
    import shutil

    from .synthetic import simulate_cohort

    out: Path = args.output_dir
    if out.exists() and not args.force:
        raise ConfigError(f"output directory {out} already exists; pass --force to replace it.", location="--output-dir")
    cohort = simulate_cohort(args.n_participants, comparison_ratio=args.comparison_ratio, seed=args.seed, panel=args.panel)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    try:
        cohort.write(tmp, format=args.format)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print(f"Synthetic cohort ({args.n_participants} participants, seed {args.seed}) written to {out}")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
