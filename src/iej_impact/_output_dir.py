"""The output directory of ``iej-impact run`` and ``iej-impact simulate``: what may be replaced, how it is written.

Rules (one place for both commands):

* Every directory the tool writes holds a marker file, :data:`MARKER`, a small JSON document
  naming the tool, its version, the kind of output (``run`` / ``simulate``) and every entry it
  wrote. A directory without it was not written by iej-impact.
* An existing output path is replaced (``--force`` / ``force=True``) only if it is a directory
  holding a valid marker and nothing the marker does not list, and if it is none of: a folder
  holding one of the run's inputs, the configuration file's folder (or a folder holding it), the
  current directory (or a folder holding it), the home folder (or a folder holding it), the
  filesystem root, a symbolic link. Anything else is refused with a ConfigError naming the
  location the path came from (``project.output_dir`` or ``--output-dir``).
* :func:`check_output_dir` runs every check that needs no output yet: call it before loading
  data or estimating, so a typo in the output path costs nothing. It also probes that the nearest
  existing parent is a folder in which a file can be created.
* :func:`staged` yields a fresh temporary directory beside the target (``.<name>.tmp-<token>``,
  the token unique per call: pid, host and random bytes), removes it on any failure or signal,
  and on success writes the marker and swaps it into place: the previous directory is renamed to
  ``.<name>.old-<token>`` first and renamed back if the final rename fails.
* Temporary and set-aside directories left behind by a killed run (its pid is no longer alive on
  this host; the directory holds the marker) are cleaned up by the next run into the same parent:
  a temporary directory is removed; a set-aside previous output is put back if the output path is
  missing, else removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import socket
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["MARKER", "OutputTarget", "check_output_dir", "staged"]

#: name of the marker file written into every output directory
MARKER = ".iej_impact-output"
TOOL = "iej_impact"
#: files an operating system drops into folders it displays; they never block a replacement
_OS_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
_LISTED = 5  # names shown in a message


@dataclass(frozen=True)
class OutputTarget:
    """A checked output path. ``path`` is absolute (normalised, symlinks not resolved)."""

    path: Path
    shown: str
    location: str
    kind: str
    force: bool
    inputs: tuple[Path, ...] = ()
    config_dir: Path | None = None

    def refuse(self, why: str) -> ConfigError:
        return ConfigError(why, location=self.location)


def check_output_dir(raw: str | os.PathLike[str] | None, *, kind: str, force: bool, location: str,
                     inputs: Iterable[str | os.PathLike[str]] = (),
                     config_dir: str | os.PathLike[str] | None = None) -> OutputTarget:
    """Check an output path before any work; return the target or raise ConfigError at ``location``.

    ``inputs`` are the files the run reads (config, data, tables, operations files); the output
    directory may never hold one. ``config_dir`` is the configuration file's folder.
    """
    if raw is None or not str(raw).strip():
        raise ConfigError("the output directory is empty; give a folder path.", location=location)
    path = Path(os.path.abspath(os.fspath(raw)))
    target = OutputTarget(
        path=path, shown=os.fspath(raw), location=location, kind=kind, force=force,
        inputs=tuple(Path(os.path.realpath(p)) for p in inputs),
        config_dir=Path(os.path.realpath(config_dir)) if config_dir is not None else None)
    _clean_stale(target)
    if path.exists() or path.is_symlink():
        _check_replaceable(target)
        if not force:
            raise target.refuse(f"output directory {target.shown} already exists; pass --force to replace it.")
    _check_parent(target)
    return target


def _check_parent(t: OutputTarget) -> None:
    """The nearest existing parent is a folder and a file can be created in it."""
    anc = t.path.parent
    while not (anc.exists() or anc.is_symlink()) and anc != anc.parent:
        anc = anc.parent
    if not anc.is_dir():
        raise t.refuse(f"output directory {t.shown} cannot be created: {anc} is a file, not a folder.")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{t.path.name}.probe-", dir=anc)
    except OSError as exc:
        raise t.refuse(f"output directory {t.shown} cannot be written: no file can be created in {anc} "
                       f"({exc.strerror or exc}).") from None
    os.close(fd)
    os.unlink(probe)


def _inside(child: Path, folder: Path) -> bool:
    return child == folder or folder in child.parents


def _check_replaceable(t: OutputTarget) -> None:
    """Raise unless ``t.path`` is a previous iej-impact output directory that may be replaced."""
    p, shown = t.path, t.shown
    keep = "Choose another output directory"
    if p.is_symlink():
        raise t.refuse(f"{shown} is a symbolic link; iej-impact replaces only a directory it wrote. {keep}.")
    if not p.is_dir():
        raise t.refuse(f"{shown} is an existing file, not an output directory; iej-impact never replaces a file "
                       f"it did not write. {keep}.")
    real = Path(os.path.realpath(p))
    held = [i for i in t.inputs if _inside(i, real)]
    if held:
        raise t.refuse(f"{shown} holds the run's input {held[0]}; it is never replaced. {keep}.")
    cwd, home = Path(os.path.realpath(os.getcwd())), Path(os.path.realpath(Path.home()))
    places = [(t.config_dir, "the configuration file's folder"), (cwd, "the current directory"),
              (home, "your home folder")]
    for place, what in places:
        if place is not None and _inside(place, real):
            what = what if real == place else f"a folder holding {what}"
            raise t.refuse(f"{shown} is {what}; it is never replaced. {keep}.")
    if real == Path(real.anchor):
        raise t.refuse(f"{shown} is the filesystem root; it is never replaced. {keep}.")
    doc = _read_marker(p / MARKER)
    if doc is None or not isinstance(doc.get("files"), list):
        raise t.refuse(
            f"{shown} already exists and was not written by iej-impact (it has no valid {MARKER} file), so "
            f"--force does not replace it (output directories of iej-impact versions before the marker have "
            f"none either). If you no longer need it, remove it yourself; or {keep.lower()}.")
    written = set(map(str, doc["files"]))
    extra = [e for e in _entries(p) if e not in written and e != MARKER and Path(e).name not in _OS_FILES]
    if extra:
        raise t.refuse(
            f"{shown} holds files iej-impact did not write ({', '.join(extra[:_LISTED])}"
            f"{', ...' if len(extra) > _LISTED else ''}), so --force does not replace it. Move them out, "
            f"or remove the directory yourself; or {keep.lower()}.")
    blocked = [d for d in [p, *(q for q in p.rglob("*") if q.is_dir() and not q.is_symlink())]
               if not os.access(d, os.W_OK | os.X_OK)]
    if blocked:
        raise t.refuse(f"{shown} cannot be replaced: no permission to remove {blocked[0]}; it is left as it was.")


def _entries(folder: Path) -> list[str]:
    """Every entry below ``folder`` (files, folders, links) as a sorted relative POSIX path."""
    out = []
    for root, dirs, files in os.walk(folder):
        rel = Path(root).relative_to(folder)
        out += [(rel / n).as_posix() for n in dirs + files]
    return sorted(out)


def _read_marker(path: Path) -> dict[str, Any] | None:
    if path.is_symlink() or not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("tool") == TOOL else None


def _write_marker(folder: Path, doc: dict[str, Any]) -> None:
    (folder / MARKER).write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _version() -> str:
    from . import __version__

    return __version__


_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _token() -> str:
    return f"{os.getpid()}-{_HOST}-{secrets.token_hex(4)}"


@contextmanager
def staged(t: OutputTarget) -> Iterator[Path]:
    """Yield a fresh temporary directory for the outputs; on success mark it and swap it into ``t.path``.

    On any exception (KeyboardInterrupt and the CLI's SIGTERM included) the temporary directory
    is removed and the previous output, if any, is left untouched.
    """
    parent = t.path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise t.refuse(f"output directory {t.shown} cannot be created ({exc.strerror or exc}).") from None
    token = _token()
    tmp = parent / f".{t.path.name}.tmp-{token}"
    try:
        tmp.mkdir()
    except OSError as exc:
        raise t.refuse(f"output directory {t.shown} cannot be written: {tmp} cannot be created "
                       f"({exc.strerror or exc}).") from None
    try:
        _write_marker(tmp, {"tool": TOOL, "version": _version(), "kind": t.kind, "state": "writing",
                            "pid": os.getpid(), "host": socket.gethostname()})
        yield tmp
        _write_marker(tmp, {"tool": TOOL, "version": _version(), "kind": t.kind,
                            "files": [e for e in _entries(tmp) if e != MARKER]})
        _swap(t, tmp, token)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap(t: OutputTarget, tmp: Path, token: str) -> None:
    """Rename ``tmp`` to the target; with force, set the previous directory aside first (restored on failure)."""
    old = None
    if t.path.exists() or t.path.is_symlink():
        if not t.force:
            raise t.refuse(f"output directory {t.shown} was created while this run was working; "
                           "pass --force to replace it.")
        _check_replaceable(t)  # again: the folder may have changed during the run
        old = t.path.parent / f".{t.path.name}.old-{token}"
        try:
            os.rename(t.path, old)
        except FileNotFoundError:
            old = None
        except OSError as exc:
            raise t.refuse(f"the existing output directory {t.shown} cannot be moved aside to be replaced "
                           f"({exc.strerror or exc}); it is left as it was.") from None
    try:
        os.rename(tmp, t.path)
    except OSError as exc:
        kept = ""
        if old is not None:
            try:
                os.rename(old, t.path)
                kept = " The previous output directory is left as it was."
            except OSError:
                kept = f" The previous output directory was moved to {old}."
        raise t.refuse(f"the new outputs cannot be moved into {t.shown} ({exc.strerror or exc}); another run "
                       f"may be writing there.{kept}") from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill would terminate the process there: never judge, never clean
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _clean_stale(t: OutputTarget) -> None:
    """Remove (or restore) ``.<name>.tmp-*`` / ``.<name>.old-*`` left by a dead run of this host."""
    parent, name = t.path.parent, t.path.name
    if not parent.is_dir():
        return
    stale: dict[str, list[Path]] = {"tmp": [], "old": []}
    try:
        entries = list(parent.iterdir())
    except OSError:
        return
    for entry in entries:
        for kind in stale:
            prefix = f".{name}.{kind}-"
            if entry.name.startswith(prefix) and _is_stale(entry, entry.name[len(prefix):]):
                stale[kind].append(entry)
    for entry in stale["tmp"]:
        shutil.rmtree(entry, ignore_errors=True)
    for entry in sorted(stale["old"], key=lambda e: e.name):
        if not (t.path.exists() or t.path.is_symlink()):
            try:
                os.rename(entry, t.path)  # a --force run killed between its two renames: put the outputs back
                continue
            except OSError:
                pass
        shutil.rmtree(entry, ignore_errors=True)


def _is_stale(entry: Path, token: str) -> bool:
    """``token`` is ``<pid>-<host>-<random>``: stale if written on this host by a dead pid, and ours."""
    pid, host = (token.split("-") + ["", ""])[:2]
    if not pid.isdigit() or host != _HOST or entry.is_symlink() or not entry.is_dir():
        return False
    if _pid_alive(int(pid)):
        return False
    return _read_marker(entry / MARKER) is not None or not any(entry.iterdir())  # empty: killed at birth
