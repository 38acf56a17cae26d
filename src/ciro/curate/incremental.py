"""`ciro validate` after a change: check again only the files the change can reach, keep every other file's result.

A file's problems depend on its own bytes and on a few facts about other records: whether an id it points at
exists, its kind, whether it is obsolete (and its replacement), where a duplicate id or label was written first,
a publication's source text, a mechanism's broader mechanisms and their origins. Each file therefore *exports*
facts, one per key ("i:<id>" for each record it declares, "l:<label>" for each label), and *reads* keys (its own,
and "i:<id>" of each identifier it names; the rare look-ups, such as a label offered as a hint or a quote searched
in every text, are noted while the checks run). A key's fact is what every file exporting it says, in the order
the files are read; two derived keys sum up the KB: "a:<mechanism>" (its broader mechanisms, all the way up, with
their origins, and the cycles it is on) and "alltexts" (every publication's source text).

A run over all of instances/ keeps, per file: the digest of its bytes, its problems, SHACL results and counts,
and what it exports and reads (a folder per project under ~/.cache/ciro/results/: a head and parts, each written
to a temporary file and moved into place, a run writing only the parts it changed and reading the others only
where it looks; the schema, shapes, code and library versions are part of its key, and a head or part that
cannot be read is ignored: a full run). The next run hashes every file; the changed, added and deleted files,
those whose source text changed, and those whose ids the ledger gained or lost change the facts of the keys they export;
the files that read a changed key are checked again too (with every file that declares one of their record
names: such records share their problems' bookkeeping), with the files exporting the keys they read loaded
beside them as context, and the whole-KB checks (the ledger's vanished terms, the last release) run on the
kept facts. tests/test_validate_cache.py compares each warm run with a cold one.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
import zlib
from pathlib import Path

__all__ = ["keep_results", "kept_exports", "run_incremental"]

FORMAT = 2  # 2: a head and parts, in a folder per project
# The label hint's key for a value 'None': every record without a label has it; such a run is not kept.
_UNKEPT = "l:none"
LAST: dict = {}  # what the last incremental run did (files checked again, context files): for tests and benchmarks
_MAX_SHARE = 0.25  # when a change reaches more files than this share, a full run is as fast


# --- the kept state ---------------------------------------------------------------------------------------

def _state_path(root: Path) -> Path:
    """The kept state's head; its parts are files beside it (one folder per project)."""
    from ..cachedir import cache_root, project_key

    return cache_root() / "results" / project_key(root) / "head.marshal"


def _version(layout, shacl: bool, engine: str) -> str:
    """What every kept result depends on besides the instance files and source texts."""
    from importlib.metadata import PackageNotFoundError, version

    from .. import validate

    hasher = hashlib.sha256(f"{FORMAT} {sys.version} {shacl} {engine} {layout.root.absolute()}".encode())
    for package in ("pyyaml", "linkml", "jsonschema", "bioregistry", "rdflib", "pyoxigraph"):
        try:
            hasher.update(f"{package} {version(package)}".encode())
        except PackageNotFoundError:
            hasher.update(package.encode())
    package = Path(validate.__file__).parent
    code = [package / "validate.py", package / "layout.py", package / "versions.py",
            *sorted((package / "curate").glob("*.py")), *sorted((package / "shacl").rglob("*.py"))]
    for path in [*code, *sorted(p for p in layout.schema.parent.iterdir() if p.is_file())]:
        hasher.update(str(path.name).encode() + b"\0" + path.read_bytes())
    return hasher.hexdigest()


def _digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


class _Store:
    """A kept state on disk: a head (format, version, the ledger's digest and each part's digest) and its parts,
    each read when the run first needs it and checked against the head (a part that does not match, damaged or
    written by another run since, raises: the run is then a full one)."""

    def __init__(self, head_path: Path, head: dict):
        self.folder, self.head = head_path.parent, head
        self.loaded: dict[str, object] = {}

    def part(self, name: str):
        if name not in self.loaded:
            raw = (self.folder / f"{name}.marshal").read_bytes()
            if _digest(raw) != self.head["parts"][name]:
                raise ValueError(f"the kept part {name} does not match its head")
            self.loaded[name] = marshal.loads(raw)
        return self.loaded[name]


def _load(path: Path, version: str) -> _Store | None:
    try:
        raw = path.read_bytes()
        check, payload = raw[:4], raw[4:]
        if zlib.crc32(payload).to_bytes(4, "big") != check:  # a truncated or damaged file
            return None
        head = marshal.loads(payload)
    except Exception:  # noqa: BLE001 - missing, truncated or foreign: only costs a full run
        return None
    if not isinstance(head, dict) or head.get("format") != FORMAT or head.get("version") != version or \
            not isinstance(head.get("parts"), dict):
        return None
    return _Store(path, head)


def _write(path: Path, payload: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _save(path: Path, head: dict, parts: dict[str, object]) -> None:
    """Write the parts given (name -> value), then the head naming them and the parts kept as they were."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        digests = dict(head["parts"])
        for name, value in parts.items():
            payload = marshal.dumps(value)
            _write(path.parent / f"{name}.marshal", payload)
            digests[name] = _digest(payload)
        payload = marshal.dumps({**head, "format": FORMAT, "parts": digests})
        _write(path, zlib.crc32(payload).to_bytes(4, "big") + payload)
        _prune(path.parent.parent)
    except (OSError, ValueError):
        pass  # a read-only cache folder only costs speed


def _prune(folder: Path, keep: int = 16) -> None:
    """Keep the `keep` projects whose state was written last (a state of the earlier one-file format counts)."""
    import shutil

    def age(p: Path) -> float:
        try:
            return (p / "head.marshal").stat().st_mtime if p.is_dir() else p.stat().st_mtime
        except OSError:
            return 0.0

    kept = sorted((p for p in folder.iterdir() if p.is_dir() or p.suffix == ".marshal"), key=age, reverse=True)
    for path in kept[keep:]:
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


# --- what a file exports and reads ------------------------------------------------------------------------

def _norm(text) -> str:
    return " ".join(str(text).casefold().split())


def _plain(value):
    """A value as kept: text as it is, anything else as its repr (marshal keeps only plain types)."""
    return value if value is None or isinstance(value, str) else repr(value)


def _inside_sources(name) -> bool:
    """Whether the quote layer would read `name` (a path inside instances/sources/)."""
    if not isinstance(name, str):
        return False
    if os.sep == "/" and not os.altsep:  # as pathlib reads it on POSIX, without making two Paths per text
        return not name.startswith("/") and ".." not in name.split("/")
    return not Path(name).is_absolute() and ".." not in Path(name).parts


def _text_digest(sources: Path, name) -> str:
    """The state of a publication's kept source text, as the quote layer would find it."""
    if not _inside_sources(name):
        return ""
    try:
        return hashlib.blake2b((sources / name).read_bytes(), digest_size=16).hexdigest()
    except OSError as exc:
        return f"error {type(exc).__name__} {exc.errno}"


def _signature(path: str, started: int) -> tuple | None:
    """The stat of a file, trusted to stand for its content (git's rule): None when the file changed less than a
    second before the run started (a later change could keep the same time and size)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if max(st.st_mtime_ns, st.st_ctime_ns) >= started - 1_000_000_000:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def _status(record, index, check_curie=None) -> str:
    """How the identifier layer sees the record's own id: ok, bad (malformed), or noid."""
    if check_curie is None:
        from ..validate import _check_curie as check_curie

    rid = record.id
    if rid is None:
        return "noid"
    external = index.class_of(record.kind) == "ExternalTerm"
    if check_curie(rid, index, external) is not None or external == rid.startswith("CIRO:"):
        return "bad"
    return "ok"


def _exports(records, unread, index, sources: Path) -> dict:
    """key -> the tuple of this file's entries for it, in the order its records are written."""
    from ..validate import _check_curie

    out: dict[str, list] = {}
    for r in records:
        data = r.data
        broader = tuple(b for b in _as_list(data.get("broader_mechanisms")) if isinstance(b, str))
        source = data.get("source_text")
        out.setdefault("i:" + r.name, []).append((  # (r.lines.get: r.where(...).line without a Location)
            r.kind, r.lines.get("id", r.line), _status(r, index, _check_curie), data.get("deprecated") is True,
            _plain(data.get("replaced_by")), _plain(data.get("therapy_kind")), _plain(data.get("origin")), broader,
            _plain(source), _text_digest(sources, _plain(source)) if r.kind == "publications" else ""))
        label = data.get("label")
        if label is not None:  # as the label hint reads labels: any value, as text
            out.setdefault("l:" + _norm(label), []).append(
                (r.name, r.id, str(index.class_of(r.kind)), r.lines.get("label", r.line), _plain(label)))
    for rid in unread:
        out.setdefault("i:" + rid, []).append(("unread",))
    return {k: tuple(v) for k, v in out.items()}


def _as_list(value) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


_REFERENCES: dict[int, dict[str, tuple[str, ...]]] = {}


def _reference_slots(index) -> dict[str, tuple[str, ...]]:
    """class -> the slots whose values the identifier layer resolves (as _rules_layer picks them)."""
    if id(index) not in _REFERENCES:
        _REFERENCES[id(index)] = {c: tuple(s for s, info in slots.items()
                                           if s != "id" and (info.reference or info.range == "uriorcurie"))
                                  for c, slots in index.slots.items()}
    return _REFERENCES[id(index)]


def _reads(records, unread, index, ancestors) -> set[str]:
    """The keys a file's checks look up, besides those noted while they run (a label hint, a quote elsewhere)."""
    keys: set[str] = {"i:" + rid for rid in unread}
    references = _reference_slots(index)
    for r in records:
        keys.add("i:" + r.name)
        data = r.data
        label = data.get("label")
        if label is not None:
            keys.add("l:" + _norm(label))
        class_name = index.class_of(r.kind)
        for slot in references[class_name]:
            value = data.get(slot)
            if isinstance(value, str):
                keys.add("i:" + value)
            elif isinstance(value, list):
                keys.update("i:" + v for v in value if isinstance(v, str))
        if class_name == "ResistanceMechanism" and r.id is not None:
            keys.add("a:" + r.id)
            keys.update("i:" + a for a in ancestors(r.id))
    return keys


# --- facts about the whole KB --------------------------------------------------------------------------------

def _key_status(fact: tuple) -> tuple:
    """(the first declarer's entry with a well-formed id or None, declared malformed?, declared unread?)."""
    first, malformed, unread = None, False, False
    for _file, part in fact:
        for item in part:
            status = item[2] if len(item) > 2 else item[0]
            if status == "ok":
                first = first or item
            elif status == "bad":
                malformed = True
            elif status == "unread":
                unread = True
    return first, malformed, unread


def _derived(mechs: dict, pubs: dict) -> dict:
    """The derived facts: "a:<mechanism>" (the cycles it is on, as the cycle check reports them) and "alltexts"."""
    from ..validate import cycle_reports

    cycles: dict[str, list] = {}
    for closing, members in cycle_reports({rid: list(b) for rid, (b, _origin) in mechs.items()}):
        for rid in sorted({closing, *members}):
            cycles.setdefault("a:" + rid, []).append((closing, tuple(members)))
    derived = {k: tuple(v) for k, v in cycles.items()}
    derived["alltexts"] = tuple(sorted((rid, name, digest) for rid, (name, digest) in pubs.items()))
    return derived


def _ancestors(mechs: dict):
    """rid -> every mechanism (or other id) above it through broader_mechanisms."""
    def up(rid: str) -> tuple:
        seen, todo = set(), list(mechs[rid][0]) if rid in mechs else []
        while todo:
            nxt = todo.pop()
            if nxt not in seen:
                seen.add(nxt)
                todo.extend(mechs[nxt][0] if nxt in mechs else ())
        return tuple(sorted(seen))
    return up


# --- the kept state -------------------------------------------------------------------------------------------

SHARDS = 512
FILE_SHARDS = 64  # the per-file tables and facts are kept in this many parts each, by file
KEY_GROUPS = 64  # the SHARDS index shards are kept in this many parts
_NONE = b""  # the digest of a file that could not be read: never equal to a real one


def _shard(key: str) -> int:
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % SHARDS


def _file_shard(f: str) -> int:
    return zlib.crc32(f.encode("utf-8", "surrogatepass")) % FILE_SHARDS


class _State:
    """What is kept, read only where a run looks: per file its digest, stat, counts, number, results (when it has
    any) and source texts, in FILE_SHARDS tables (every run reads them all; a change rewrites its file's table);
    per file its facts (exports, reads: one marshal blob each), in FILE_SHARDS parts read on demand; per key its
    declarers (in reading order) and readers, in SHARDS blobs by key, in KEY_GROUPS parts read on demand; the
    whole KB's id sets, mechanisms' links, publications' texts, the ledger's ids and the source texts' stats."""

    def __init__(self, store: _Store | None = None):
        self.store = store
        self.digests: dict = {}
        self.stats: dict = {}  # file -> its stat signature when its digest was taken, if trusted
        self.fid: dict[str, int] = {}  # the index names files by number: a sixth of the size
        self.results: dict = {}
        self.counts: dict = {}
        self.texts: dict = {}
        self.tables: dict[int, tuple] = {}  # the per-file tables as read: one dict per column (merged at C speed)
        if store is not None:
            for n in range(FILE_SHARDS):
                table = self.tables[n] = store.part(f"f{n:02d}")
                for column, kept in zip(self._columns(), table, strict=True):
                    column.update(kept)
        self.fname: dict[int, str] = {n: f for f, n in self.fid.items()}
        self.next_fid = max(self.fname, default=-1) + 1
        self.tstats: dict = dict(store.part("tstats")) if store is not None else {}  # text -> trusted stat
        self.new_blobs: dict[str, bytes | None] = {}  # file -> its facts' blob (None: gone), since read
        self._facts: dict = {}
        self._shards: dict[int, dict] = {}
        self.touched: set[int] = set()
        self.changed_files: set[str] = set()

    def whole(self, name: str):
        """A whole-KB part as kept: "ids", "mechs", "pubs", "derived" (marshal blobs as made), "ledger"."""
        return self.store.part(name)

    # per file
    def _blob(self, f: str) -> bytes | None:
        if f in self.new_blobs:
            return self.new_blobs[f]
        return self.store.part(f"x{_file_shard(f):02d}").get(f) if self.store is not None else None

    def facts(self, f: str) -> tuple[dict, tuple]:
        if f not in self._facts:
            blob = self._blob(f)
            self._facts[f] = marshal.loads(blob) if blob is not None else ({}, ())
        return self._facts[f]

    def exports(self, f: str) -> dict:
        return self.facts(f)[0]

    # per key
    def _table(self, key: str) -> dict:
        n = _shard(key)
        if n not in self._shards:
            blob = self.store.part(f"k{n % KEY_GROUPS:02d}")[n] if self.store is not None else b""
            self._shards[n] = marshal.loads(blob) if blob else {}
        return self._shards[n]

    def number(self, f: str) -> int:
        if f not in self.fid:
            self.fid[f], self.fname[self.next_fid] = self.next_fid, f
            self.next_fid += 1
        return self.fid[f]

    def declarers(self, key: str) -> tuple:
        found = self._table(key).get(key)
        return tuple(self.fname[n] for n in found[0]) if found else ()

    def readers(self, key: str) -> tuple:
        found = self._table(key).get(key)
        return tuple(self.fname[n] for n in found[1]) if found else ()

    def fact(self, key: str) -> tuple:
        return tuple((f, self.exports(f)[key]) for f in self.declarers(key))

    def put(self, f: str, exports: dict | None, reads, position: dict) -> None:
        """Replace what file `f` exports and reads (None: the file is gone)."""
        old_exports, old_reads = self.facts(f)
        n = self.number(f)
        for key in old_exports:
            self._edit(key, 0, lambda files: [g for g in files if g != n])
        for key in old_reads:
            self._edit(key, 1, lambda files: [g for g in files if g != n])
        self.changed_files.add(f)
        if exports is None:
            self._facts.pop(f, None)
            self.new_blobs[f] = None
            del self.fname[self.fid.pop(f)]
            return
        for key in exports:
            self._edit(key, 0, lambda files: sorted([*files, n], key=lambda g: position[self.fname[g]]))
        for key in reads:
            self._edit(key, 1, lambda files: [*files, n])
        self._facts[f] = (exports, tuple(reads))
        self.new_blobs[f] = marshal.dumps(self._facts[f])

    def _edit(self, key: str, which: int, change) -> None:
        table = self._table(key)
        entry = table.get(key) or [[], []]
        entry = [list(entry[0]), list(entry[1])]
        entry[which] = change(entry[which])
        if entry[0] or entry[1]:
            table[key] = entry
        else:
            table.pop(key, None)
        self.touched.add(_shard(key))

    def _columns(self) -> tuple[dict, ...]:
        """The per-file columns, in the order a table keeps them."""
        return self.digests, self.stats, self.counts, self.fid, self.results, self.texts

    def _table_of(self, files) -> tuple[dict, ...]:
        return tuple({f: column[f] for f in files if f in column} for column in self._columns())

    def save(self, path: Path, version: str, ledger: str, whole: dict, files: set | None = None) -> None:
        """Write what changed since the state was read (all of it for a new state): `whole` holds the whole-KB
        parts to write ("ids", "mechs", "pubs", "derived", "ledger": only those that changed), `files` the files
        whose per-file entries may have changed (digest, stat, counts, number, results, texts)."""
        parts: dict[str, object] = dict(whole)
        shard_files: dict[int, set] = {}
        if self.store is None:
            for f in self.digests.keys() | self.counts.keys() | self.fid.keys():
                shard_files.setdefault(_file_shard(f), set()).add(f)
            shard_files.update((n, set()) for n in range(FILE_SHARDS) if n not in shard_files)
        else:
            for f in files or ():
                shard_files.setdefault(_file_shard(f), set().union(*self.tables[_file_shard(f)])).add(f)
        for n, in_shard in shard_files.items():
            table = self._table_of(in_shard)
            if self.store is None or table != self.tables[n]:
                parts[f"f{n:02d}"] = table
        dirty = {_file_shard(f) for f in self.new_blobs} if self.store is not None else range(FILE_SHARDS)
        for n in dirty:
            blobs = dict(self.store.part(f"x{n:02d}")) if self.store is not None else {}
            for f, blob in self.new_blobs.items():
                if _file_shard(f) == n:
                    (blobs.__setitem__(f, blob) if blob is not None else blobs.pop(f, None))
            parts[f"x{n:02d}"] = blobs
        groups = {n % KEY_GROUPS for n in self.touched} if self.store is not None else range(KEY_GROUPS)
        for g in groups:
            kept = self.store.part(f"k{g:02d}") if self.store is not None else {}
            parts[f"k{g:02d}"] = {n: marshal.dumps(self._shards[n]) if n in self._shards and n in self.touched
                                  else kept.get(n, b"") for n in range(g, SHARDS, KEY_GROUPS)}
        if self.store is None or self.tstats != self.store.part("tstats"):
            parts["tstats"] = self.tstats
        if self.store is not None and not parts and ledger == self.store.head["ledger"]:
            return  # nothing changed
        old = self.store.head["parts"] if self.store is not None else {}
        _save(path, {"version": version, "ledger": ledger, "parts": old}, parts)


def _ids_sets(raw_ids: tuple) -> tuple[set, set, set]:
    return tuple(set(text.split("\n")) - {""} for text in raw_ids)


def _update_whole(keys, fact, first: set, malformed: set, unread: set, mechs: dict, pubs: dict) -> None:
    """Bring the whole-KB sets and maps up to date for the "i:" keys in `keys`."""
    for key in keys:
        if not key.startswith("i:"):
            continue
        rid = key[2:]
        item, bad, unr = _key_status(fact(key))
        for found, group in ((item is not None, first), (bad, malformed), (unr, unread)):
            if found:
                group.add(rid)
            else:
                group.discard(rid)
        mechs.pop(rid, None)
        pubs.pop(rid, None)
        if item is not None and item[0] == "mechanisms":
            mechs[rid] = (item[7], item[6])
        elif item is not None and item[0] == "publications":
            pubs[rid] = (item[8], item[9])


# --- keeping a full run's results ---------------------------------------------------------------------------

def _problem(p) -> tuple:
    return str(p.file), int(p.line), str(p.record), str(p.field), str(p.message), str(p.stage), str(p.severity)


def _result(r) -> tuple:  # its texts may be rdflib terms or LinkML names (str subclasses), which marshal refuses
    return bool(r.generic), *(str(x) for x in (r.focus, r.path, r.component, r.severity, r.value, r.message))


def _per_file(kb, report, names: dict, files: list[str], keep: set[str]) -> dict | None:
    """file -> (problems, SHACL results), counts for the files in `keep`; None when something cannot be placed."""
    got = {f: ([], [], [0, 0, report.checked.get(f, 0)]) for f in keep}
    known = set(files)
    for p in report.problems:
        if p.stage == "internal":
            return None
        if p.file in got:
            got[p.file][0].append(_problem(p))
        elif p.file in known:
            return None
    for r in kb.records:
        if r.file in got:
            got[r.file][2][0] += 1
            got[r.file][2][1] += r.kind == "evidence"
    for result in report.shacl_results:
        name = names.get(result.focus)
        where = kb.where(name) if name is not None else None
        if where is None or not where.file:
            return None
        if where.file in got:
            got[where.file][1].append(_result(result))
        elif where.file not in known:
            return None
    return {f: (tuple(p), tuple(s), tuple(c)) for f, (p, s, c) in got.items()}


def _store_results(state: _State, per_file: dict) -> None:
    for f, (problems, results, counts) in per_file.items():
        state.counts[f] = counts
        if problems or results:
            state.results[f] = marshal.dumps((problems, results))
        else:
            state.results.pop(f, None)


def _trust_source(state: _State, sources: Path, name, started: int) -> None:
    if _inside_sources(name):
        signature = _signature(str(sources / name), started)
        if signature is not None:
            state.tstats[name] = signature
        else:
            state.tstats.pop(name, None)


def _source_changed(state: _State, sources: str, name, digest: str) -> bool:
    """Whether a kept source text's digest is out of date (its stat, when trusted, stands for its content);
    `sources` is the folder as text (a Path per text would cost more than its stat)."""
    if name in state.tstats and _inside_sources(name):
        signature = _signature(os.path.join(sources, name), 1 << 62)
        if signature is not None and signature == state.tstats[name]:
            return False
    return digest != _text_digest(Path(sources), name)


def _texts(f: str, exports: dict) -> tuple:
    """((source_text, digest), ...) of a file's publications: what to hash again on the next run."""
    return tuple((item[8], item[9]) for part in exports.values() for item in part if item[0] == "publications")


def _ledger_state(layout) -> tuple:
    """(digest of the id ledger, the ids it lists, one a line), or ("", "") when there is none; a digest ending in
    "!" when it cannot be read."""
    from .lifecycle import read_ledger

    path = layout.id_ledger
    if not path.is_file():
        return "", ""
    raw = path.read_bytes()
    entries, problems = read_ledger(path)
    return hashlib.blake2b(raw, digest_size=16).hexdigest() + ("!" if problems else ""), "\n".join(sorted(entries))


def _ledger_digest(layout) -> str:
    path = layout.id_ledger
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest() if path.is_file() else ""


def kept_exports(layout, kb, parsed) -> dict | None:
    """What each file exports (keep_results' costliest part, from the records alone): `ciro validate` has it done
    while the SHACL helper runs, where this process would wait. None when keep_results is to do it."""
    from .schemaindex import schema_index

    if parsed is None or not layout.schema.is_file():
        return None
    try:
        index = schema_index(layout.schema)
    except Exception:  # noqa: BLE001 - the run reports it
        return None
    from ..validate import _load_patterns

    _load_patterns(index.prefixes)
    return _all_exports(layout, kb, index, _by_file(kb), _unread(parsed))


def _by_file(kb) -> dict[str, list]:
    by_file: dict[str, list] = {f: [] for f in kb.files}
    for r in kb.records:
        by_file[r.file].append(r)
    return by_file


def _unread(parsed) -> dict[str, tuple]:
    return {shown: tuple(entry[2]) for (shown, _kind), (_digest, entry) in parsed.used.items()}


def _all_exports(layout, kb, index, by_file: dict, unread: dict) -> dict:
    sources = layout.sources  # (a new Path each time: once, not per file)
    return {f: _exports(by_file[f], unread.get(f, ()), index, sources) for f in kb.files}


def keep_results(layout, shacl: bool, engine: str, kb, report, out, names: dict, parsed, started: int,
                 exports: dict | None = None) -> None:
    """After a full run over all of instances/: keep each file's results for the next incremental run (`exports`:
    kept_exports(), when it was done already)."""
    from .schemaindex import schema_index

    if engine != "fast" or parsed is None or not layout.schema.is_file():
        return
    try:
        index = schema_index(layout.schema)
    except Exception:  # noqa: BLE001 - the run has reported it
        return
    from ..validate import _load_patterns

    _load_patterns(index.prefixes)
    by_file = _by_file(kb)
    per_file = _per_file(kb, report, names, kb.files, set(kb.files))
    if per_file is None or any(_UNKEPT in keys for keys in out.reads.values()):
        return
    unread = _unread(parsed)
    state = _State()
    for (shown, _kind), (digest, _entry) in parsed.used.items():
        state.digests[shown] = digest
    sources, root = layout.sources, str(layout.root.absolute())  # (each a new Path: once, not per file)
    all_exports = exports if exports is not None and exports.keys() == set(kb.files) else \
        _all_exports(layout, kb, index, by_file, unread)
    keys: dict[str, list] = {}
    for f in kb.files:
        for key, part in all_exports[f].items():
            if key.startswith("i:"):
                keys.setdefault(key, []).append((f, part))
    first, malformed, unread_ids, mechs, pubs = set(), set(), set(), {}, {}
    _update_whole(keys, lambda k: tuple(keys[k]), first, malformed, unread_ids, mechs, pubs)
    up = _ancestors(mechs)
    table: dict[str, list] = {}  # built in one pass (state.put keeps an index up to date, one file at a time)
    for f in kb.files:
        state.digests.setdefault(f, _NONE)
        signature = _signature(os.path.join(root, f), started)
        if signature is not None:
            state.stats[f] = signature
        reads = sorted(_reads(by_file[f], unread.get(f, ()), index, up) | out.reads.get(f, set()))
        n = state.number(f)
        for key in all_exports[f]:
            table.setdefault(key, [[], []])[0].append(n)
        for key in reads:
            table.setdefault(key, [[], []])[1].append(n)
        state.new_blobs[f] = marshal.dumps((all_exports[f], tuple(reads)))
        texts = _texts(f, all_exports[f])
        if texts:
            state.texts[f] = texts
            for name, _digest in texts:
                _trust_source(state, sources, name, started)
    shards: list[dict] = [{} for _ in range(SHARDS)]
    for key, entry in table.items():
        shards[_shard(key)][key] = entry
    state._shards = dict(enumerate(shards))
    state.touched = set(range(SHARDS))
    _store_results(state, per_file)
    ledger = _ledger_state(layout)
    state.save(_state_path(layout.root), _version(layout, shacl, engine), ledger[0], {
        "ids": tuple("\n".join(sorted(s)) for s in (first, malformed, unread_ids)),
        "mechs": marshal.dumps(mechs), "pubs": marshal.dumps(pubs), "derived": marshal.dumps(_derived(mechs, pubs)),
        "ledger": ledger[1]})


# --- the incremental run -----------------------------------------------------------------------------------

def run_incremental(layout, shacl: bool, engine: str):
    """The Report of `ciro validate` over all of instances/, from the kept results and the files a change can
    reach; None when there is nothing kept (or it does not fit), and a full run must be made."""
    if engine != "fast" or not layout.schema.is_file():
        return None
    path = _state_path(layout.root)
    version = _version(layout, shacl, engine)
    store = _load(path, version)
    LAST.clear()
    if store is None:
        return None
    try:
        return _incremental(layout, shacl, engine, _State(store), path, version)
    except Exception:  # noqa: BLE001 - a kept state that does not fit this code: a full run decides
        if os.environ.get("CIRO_DEBUG"):
            raise
        return None


def _incremental(layout, shacl: bool, engine: str, state: _State, path: Path, version: str):
    import dataclasses
    import time

    started = time.time_ns()
    from .. import validate as validate_module
    from ..validate import Report, _load_patterns, _run_layers, _Whole, problem_order
    from .errors import Problem
    from .loader import LoadedKB, _display, _read, record_files
    from .parsecache import ParseCache
    from .schemaindex import schema_index

    base = layout.root.absolute()
    found, ignored = record_files(layout.instances)
    prefix = str(base) + os.sep
    paths = {p[len(prefix):] if p.startswith(prefix) else _display(Path(p), base): p for p, _kind in found}
    kinds = dict(found)
    order = list(paths)
    position = {f: n for n, f in enumerate(order)}

    changed: set[str] = set()
    digests: dict[str, bytes] = {}
    stats: dict[str, tuple] = {}
    trusted = 0
    restated: set[str] = set()  # files whose kept stat is not theirs now
    for shown, p in paths.items():
        signature = _signature(p, started) if kinds[p] is not None else None
        if signature is not None:
            stats[shown] = signature
        kept = state.digests.get(shown)
        kept_stat = state.stats.get(shown)
        if kept_stat != signature:
            restated.add(shown)
        elif signature is not None and kept:
            digests[shown] = kept  # the same stat as when its digest was taken: the same bytes
            trusted += 1
            continue
        try:
            if kinds[p] is None:
                digest = _NONE
            else:
                with open(p, "rb") as handle:
                    digest = ParseCache.digest(handle.read())
        except OSError:
            digest = _NONE
        digests[shown] = digest
        if kept is None or digest == _NONE or kept != digest:
            changed.add(shown)
    deleted = set(state.digests) - set(paths)
    restated.update(f for f in state.stats if f not in paths)
    state.stats = stats
    sources = str(layout.sources)
    for shown, texts in state.texts.items():  # a source text changed: its publication's file is checked again
        if shown not in changed and shown not in deleted and \
                any(_source_changed(state, sources, name, digest) for name, digest in texts):
            changed.add(shown)
    index = schema_index(layout.schema)
    _load_patterns(index.prefixes)

    parsed: dict[str, tuple] = {}

    def parse(shown: str) -> tuple:
        if shown not in parsed:
            part = LoadedKB()
            _read(part, Path(paths[shown]), shown)
            parsed[shown] = (part.records, part.problems, sorted(part.unread_ids))
        return parsed[shown]

    # The changed files' new exports; the keys whose facts they change.
    new_exports = {f: _exports(parse(f)[0], parse(f)[2], index, layout.sources) for f in changed}
    keys = set()
    for f in changed | deleted:
        keys.update(state.exports(f))
        keys.update(new_exports.get(f, ()))
    before = {k: state.fact(k) for k in keys}
    for f in deleted:
        state.put(f, None, (), position)
        state.digests.pop(f, None)
        state.results.pop(f, None)
        state.counts.pop(f, None)
        state.texts.pop(f, None)
    for f in changed:
        state.put(f, new_exports[f], state.facts(f)[1], position)
    dirty = {k for k in keys if before[k] != state.fact(k)}
    first, malformed, unread = _ids_sets(state.whole("ids"))
    old_ids = (set(first), set(malformed), set(unread))
    mechs, pubs = marshal.loads(state.whole("mechs")), marshal.loads(state.whole("pubs"))
    old_mechs, old_pubs = dict(mechs), dict(pubs)
    _update_whole(dirty, state.fact, first, malformed, unread, mechs, pubs)
    changed_parts: dict[str, object] = {}  # the whole-KB parts that change
    if mechs != old_mechs or pubs != old_pubs:
        old_derived, derived = marshal.loads(state.whole("derived")), _derived(mechs, pubs)
        dirty.update(k for k in derived.keys() | old_derived.keys() if derived.get(k) != old_derived.get(k))
        changed_parts.update(mechs=marshal.dumps(mechs), pubs=marshal.dumps(pubs), derived=marshal.dumps(derived))
    ledger = state.store.head["ledger"]
    if _ledger_digest(layout) != ledger.rstrip("!"):
        new_ledger = _ledger_state(layout)
        if new_ledger[0].endswith("!") or ledger.endswith("!"):
            return None  # a ledger that cannot be read: the full run words it
        old_ids_text = state.whole("ledger")
        dirty.update("i:" + rid for rid in set(new_ledger[1].split("\n")) ^ set(old_ids_text.split("\n")) if rid)
        ledger = new_ledger[0]
        changed_parts["ledger"] = new_ledger[1]
    elif ledger.endswith("!"):
        return None

    # The files to check again: changed, or reading a changed fact, with every file sharing one of their names.
    again = {f for f in changed if f in paths}
    for k in dirty:
        again.update(f for f in state.readers(k) if f in paths)
        if k.startswith("i:"):  # a file that declares an id with a changed fact reads it
            again.update(state.declarers(k))

    def names_of(f: str):
        return (k for k in state.exports(f) if k.startswith("i:"))

    todo = list(again)
    while todo:
        for g in {g for k in names_of(todo.pop()) for g in state.declarers(k)} - again:
            again.add(g)
            todo.append(g)
    if len(again) > _MAX_SHARE * max(len(paths), 1):
        return None

    up = _ancestors(mechs)
    reads: dict[str, set[str]] = {f: _reads(parse(f)[0], parse(f)[2], index, up) for f in again}
    noted: dict[str, set[str]] = {}
    context: set[str] = set()
    whole = _Whole(first, malformed, unread, {rid: list(b) for rid, (b, _origin) in mechs.items()})
    for _attempt in range(4):
        for f in again:
            for k in reads[f] | noted.get(f, set()):
                context.update(g for g in state.declarers(k) if g not in again)
        todo = list(context)
        while todo:  # a context file's ids: every file declaring them, so that 'first' is the first
            for g in {g for k in names_of(todo.pop()) for g in state.declarers(k)} - again - context:
                context.add(g)
                todo.append(g)
        kb = LoadedKB()
        kb.problems = [dataclasses.replace(p, file=_display(Path(p.file), base)) for p in ignored]
        for f in sorted(again | context, key=position.__getitem__):
            records, problems, unread_here = parse(f)
            kb.files.append(f)
            kb.records.extend(records)
            for r in records:
                if r.parent is None:
                    kb.data[r.kind].append(r.data)
            kb.problems.extend(problems)
            kb.unread_ids.update(unread_here)
        kb.context_files = set(context)
        report, out, _ids, names = _run_layers(kb, layout, shacl, engine, whole)
        for f in again:
            noted[f] = set(out.reads.get(f, ()))
        if any(_UNKEPT in keys for keys in noted.values()):
            return None
        if not any(g not in again and g not in context for f in again for k in noted[f] for g in state.declarers(k)):
            break
    else:
        return None
    if any(p.stage == "internal" for p in out.problems):
        return None
    per_file = _per_file(kb, report, names, order, again)
    if per_file is None:
        return None
    LAST.update(again=sorted(again), context=len(context), changed=len(changed), deleted=len(deleted),
                trusted=trusted)

    # The new state: the files checked again replace their entries.
    for f in again:
        state.put(f, new_exports.get(f) or state.exports(f), sorted(reads[f] | noted[f]), position)
        state.digests[f] = digests[f]
        texts = _texts(f, state.exports(f))
        if texts:
            state.texts[f] = texts
            for name, _digest in texts:
                _trust_source(state, layout.sources, name, started)
        else:
            state.texts.pop(f, None)
    _store_results(state, per_file)
    if (first, malformed, unread) != old_ids:
        changed_parts["ids"] = tuple("\n".join(sorted(s)) for s in (first, malformed, unread))
    state.save(path, version, ledger, changed_parts, restated | deleted | again | state.changed_files)

    # The report: kept and new per-file results, and what this run said about the whole KB.
    result = Report(files=len(order), shacl_engine=engine if shacl else "")
    shown_files = set(order)
    problems = [p for p in report.problems if p.file not in shown_files]
    results = []
    for blob in state.results.values():
        kept_problems, kept_results = marshal.loads(blob)
        problems.extend(Problem(*p) for p in kept_problems)
        results.extend(validate_module.ShaclResult(*r) for r in kept_results)
    for records, quotes, checked in state.counts.values():
        result.records += records
        result.quotes_total += quotes
        result.quotes_checked += checked
    result.problems = sorted(problems, key=problem_order)
    result.shacl_results = sorted(results)
    result.shacl_notes = report.shacl_notes
    return result
