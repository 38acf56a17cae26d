"""The curated KB scaled to any size with synthetic records shaped like it, optionally with known errors.

`generate(n, out)` writes a project of n evidence items: out/schema/ (a copy of the schema folder),
out/instances/ (the curated KB, so the competency questions still find their answers, plus synthetic
records: one entity per file under instances/<kind>/, external terms in files of 1,000, a kept text for
every synthetic publication under instances/sources/ holding every quote that cites it) and
out/manifest.json. The synthetic part keeps the curated proportions (per 207 evidence items: 22
mechanisms, 37 targets, 15 therapies, 11 countermeasures, 4 phenotypes; a publication per ~25 evidence
items; ~14 triples per evidence item; a tenth of the quotes in two parts joined by ' ... '). Every
identifier matches its Bioregistry pattern, every reference resolves, every quote is in its source:
without injected errors the project validates clean. Synthetic ids start at CIRO:1000000; external
identifiers and labels are made up, and `verified_by` says so.

With `inject`, one error of each kind in ERROR_KINDS is written into otherwise valid records (each into a
different record), and the manifest lists, for each, the record, field and validation stage expected to
report it, plus the SHACL result it must cause where SHACL can see it. Same (n, seed, inject) -> same bytes.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

__all__ = ["generate", "Injected", "ERROR_KINDS", "CIRO_IRI", "VOCAB_IRI"]

CIRO_IRI = "https://w3id.org/ciro/CIRO_"
VOCAB_IRI = "https://w3id.org/ciro/vocab/"
FIRST_ID = 1_000_000  # synthetic records: CIRO:1000000 up, far above the curated ones
# Per 207 evidence items in the curated KB: entity counts and the evidence items they hold.
_ENTITIES = {"mechanisms": (22, 89), "targets": (37, 39), "therapies": (15, 28), "countermeasures": (11, 47),
             "phenotypes": (4, 4)}
_EVIDENCE_PER_PUBLICATION = 25
_ECO = ("ECO:0000304", "ECO:0000305", "ECO:0007669")
# Local-id makers, one per prefix, each matching the Bioregistry pattern of the prefix.
_LOCAL = {
    "HGNC": lambda r: str(r.randint(1, 99999)),
    "NCBIGene": lambda r: str(r.randint(1, 10**9)),
    "CL": lambda r: f"{r.randint(1, 9999999):07d}",
    "GO": lambda r: f"{r.randint(1, 9999999):07d}",
    "SO": lambda r: f"{r.randint(1, 9999999):07d}",
    "CHEBI": lambda r: str(r.randint(1, 10**6)),
    "NCIT": lambda r: f"C{r.randint(1, 10**6)}",
    "NCBITaxon": lambda r: str(r.randint(1, 3 * 10**6)),
    "MESH": lambda r: f"{r.choice('CD')}{r.randint(0, 10**9 - 1):09d}",
    "DRUGBANK": lambda r: f"DB{r.randint(0, 99999):05d}",
    "hgnc.genegroup": lambda r: str(r.randint(1, 10**5)),
}
_WORDS = (
    "tumour tumor immune response checkpoint blockade resistance mechanism antigen presentation T cell "
    "exhaustion interferon gamma signalling pathway loss gain mutation expression regulatory myeloid "
    "suppressor macrophage cytokine chemokine microenvironment stroma fibroblast hypoxia metabolism "
    "adenosine kynurenine lactate glycolysis epigenetic methylation acetylation silencing transcription "
    "factor stemness metastasis invasion proliferation apoptosis autophagy dendritic natural killer "
    "neoantigen MHC class I beta-2 microglobulin JAK STAT PTEN PI3K AKT WNT beta-catenin MAPK EZH2 NANOG "
    "TIM-3 LAG-3 TIGIT VISTA CTLA-4 PD-1 PD-L1 IDO1 TGF-beta IL-6 IL-10 VEGF microbiome commensal "
    "bacteria patients cohort mice models clinical trial response rate survival combination therapy "
    "radiotherapy vaccination agonist inhibitor antibody blockade primary acquired adaptive innate "
    "inflammation infiltration exclusion priming trafficking cytotoxic effector memory naive regulatory"
).split()
ERROR_KINDS = (
    "dangling_reference", "wrong_class", "bad_enum", "missing_required", "bad_curie_pattern", "unknown_prefix",
    "bad_ciro_id", "wrong_xref_kind", "wrong_evidence_type", "duplicate_id", "duplicate_label", "unknown_field",
    "wrong_type", "bad_pattern", "ill_typed_literal", "quote_not_in_source", "quote_wrong_publication",
    "empty_quote", "missing_source_text", "claim_not_a_link", "claim_half", "broader_cycle",
    "countermeasure_with_nothing", "mechanism_without_evidence", "yaml_syntax", "yaml_duplicate_key",
)


@dataclass
class Injected:
    """One injected error: where it is and what must report it."""

    kind: str
    file: str  # relative to the project folder
    records: list[str]  # the record(s) a report may name (a cycle may be reported at any of its members)
    field: str  # the field a report names ("" for the record or the file itself)
    stage: str  # the validation layer meant to catch it (informative: an earlier layer may report it instead)
    note: str
    shacl: list[list[str]] = field(default_factory=list)  # [focus IRI, path IRI, component local name]


class _Ids:
    def __init__(self) -> None:
        self.next = FIRST_ID

    def __call__(self) -> str:
        value = f"CIRO:{self.next:07d}"
        self.next += 1
        return value


def _iri(curie: str) -> str:
    return CIRO_IRI + curie.split(":", 1)[1] if curie.startswith("CIRO:") else curie


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _schema_facts(schema_path: Path) -> dict:
    """Enum values and per-kind xref prefixes, read from the schema so the generator follows it."""
    schema = yaml.load(schema_path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    enums = {name: list(e.get("permissible_values", {})) for name, e in schema["enums"].items()}

    def prefixes(annotations) -> list[str]:
        for key in ("allowed_prefixes", "xref_prefixes"):
            value = (annotations or {}).get(key)
            if value is not None:
                return str(value.get("value") if isinstance(value, dict) else value).split()
        return []

    kinds = {k: prefixes(v.get("annotations")) for k, v in schema["enums"]["TargetKindEnum"]["permissible_values"]
             .items()}
    classes = {name: prefixes(c.get("annotations")) for name, c in schema["classes"].items()}
    return {"enums": enums, "target_prefixes": kinds, "therapy_prefixes": classes["Therapy"],
            "phenotype_prefixes": classes["Phenotype"]}


class _Builder:
    """Builds the records in memory (so errors can be injected into them), then writes them out."""

    def __init__(self, n: int, seed: int, schema_path: Path):
        self.n, self.rng, self.ids = n, random.Random(seed), _Ids()
        self.seed = seed
        self.facts = _schema_facts(schema_path)
        self.records: dict[str, list[dict]] = {k: [] for k in
                                               ("publications", "targets", "phenotypes", "therapies", "mechanisms",
                                                "countermeasures")}
        self.terms: list[dict] = []
        self.used_terms: set[str] = set()
        self.sentences: dict[str, list[str]] = {}  # publication id -> sentences of its kept text
        self.paths: dict[int, str] = {}  # id(record) -> its file, relative to the project folder
        self.no_source: set[str] = set()  # kept texts not written (an injected error)
        self.extra_files: dict[str, str] = {}  # relative path -> raw text (injected broken files)

    # --- text --------------------------------------------------------------------------------------------
    def _sentence(self, tag: str) -> str:
        words = self.rng.choices(_WORDS, k=self.rng.randint(10, 18))
        words.insert(self.rng.randint(3, len(words) - 2), tag)
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def _quote(self, pid: str) -> str:
        sentences = self.sentences[pid]
        i = self.rng.randrange(len(sentences))
        words = sentences[i].rstrip(".").split()
        if self.rng.random() < 0.1 and i + 1 < len(sentences):  # two parts, in order, as some real quotes are
            return " ".join(words[: self.rng.randint(3, len(words))]) + " ... " + sentences[i + 1].rstrip(".")
        start = self.rng.randrange(0, max(1, len(words) - 4))
        return " ".join(words[start: start + self.rng.randint(4, 14)])

    # --- records -------------------------------------------------------------------------------------------
    def publications(self, count: int) -> None:
        for k in range(count):
            pid = self.ids()
            author = f"Author{k:05d}"
            slug = f"bench-{k:05d}"
            self.sentences[pid] = [self._sentence(f"(p{k}s{i})") for i in range(self.rng.randint(18, 30))]
            pub = {
                "id": pid, "label": f"{author} et al. {2000 + k % 25} ({k})",
                "definition": f"Synthetic publication {k} of the benchmark knowledge base.",
                "title": self._sentence(f"study {k}").rstrip("."),
                "authors": [f"Author{k:05d} A"] + [f"Coauthor{j} B" for j in range(self.rng.randint(0, 5))],
                "journal": self.rng.choice(["J Cancer", "Front Immunol", "Nat Rev Cancer", "Cancer Cell"]),
                "year": 2000 + k % 25, "volume": str(self.rng.randint(1, 60)), "issue": str(self.rng.randint(1, 12)),
                "pages": f"{self.rng.randint(1, 900)}-{self.rng.randint(901, 999)}",
                "doi": f"10.5555/ciro-bench.{k}", "pmid": str(30000000 + k), "pmcid": f"PMC{9000000 + k}",
                "publication_type": self.rng.choice(self.facts["enums"]["PublicationTypeEnum"]),
                "source_text": f"{slug}.txt",
            }
            self.records["publications"].append(pub)
            self.paths[id(pub)] = f"instances/publications/{slug}.yaml"

    def _fresh(self, prefix: str) -> str:
        """An identifier of `prefix` not used yet, as a term or as a parent (one id, one label)."""
        while True:
            curie = f"{prefix}:{_LOCAL[prefix](self.rng)}"
            if curie not in self.used_terms:
                self.used_terms.add(curie)
                return curie

    def term(self, prefix: str) -> str:
        curie = self._fresh(prefix)
        record = {"id": curie, "label": f"synthetic {prefix} term {len(self.terms)}"}
        if self.rng.random() < 0.4:
            # A parent of its own: an id drawn at random could be another term's (or parent's) id with
            # another label, which QC refuses (multiple_labels).
            record["parent"] = self._fresh(prefix)
            record["parent_label"] = f"synthetic parent of {len(self.terms)}"
        record["verified_by"] = f"synthetic: ciro bench generate (seed {self.seed}); not a real identifier"
        self.terms.append(record)
        return curie

    def _entity(self, kind: str, label: str, definition: str) -> dict:
        rid = self.ids()
        # The label in the definition keeps definitions distinct: QC refuses duplicate_definition, as ROBOT does.
        record = {"id": rid, "label": label, "definition": f"{definition.rstrip('.')}: {label}."}
        self.records[kind].append(record)
        self.paths[id(record)] = f"instances/{kind}/{_slug(label)}.yaml"
        return record

    def path(self, record: dict) -> str:
        return self.paths[id(record)]

    def entities(self, counts: dict[str, int]) -> None:
        enums, rng = self.facts["enums"], self.rng
        for i in range(counts["targets"]):
            kind = rng.choice(enums["TargetKindEnum"])
            target = self._entity("targets", f"target {i:06d} {rng.choice(_WORDS)}",
                                  f"A synthetic {kind.replace('_', ' ')} target.")
            target["target_kind"] = kind
            prefixes = self.facts["target_prefixes"][kind]
            if rng.random() < 0.75 and prefixes:
                target["xrefs"] = [self.term(rng.choice(prefixes)) for _ in range(rng.choice((1, 1, 2)))]
            else:
                target["grounding_note"] = "No identifier was assigned to this synthetic target."
            if rng.random() < 0.5:
                target["synonyms"] = [f"T{i}-{j}" for j in range(rng.randint(1, 2))]
        targets = [t["id"] for t in self.records["targets"]]
        for i in range(counts["phenotypes"]):
            phenotype = self._entity("phenotypes", f"phenotype {i:06d}", "A synthetic malignant phenotype.")
            if rng.random() < 0.5:
                phenotype["xrefs"] = [self.term(rng.choice(self.facts["phenotype_prefixes"]))]
            else:
                phenotype["grounding_note"] = "No verified identifier."
        phenotypes = [p["id"] for p in self.records["phenotypes"]]
        for i in range(counts["therapies"]):
            therapy = self._entity("therapies", f"therapy {i:06d} {rng.choice(_WORDS)}", "A synthetic therapy.")
            therapy["therapy_kind"] = rng.choice(enums["TherapyKindEnum"])
            if i and rng.random() < 0.4:
                # a treatment is a kind of a treatment, an agent of an agent (class): never across (the rules)
                parent = self.records["therapies"][rng.randrange(i)]
                if (parent["therapy_kind"] == "modality") == (therapy["therapy_kind"] == "modality"):
                    therapy["broader_therapies"] = [parent["id"]]
            if rng.random() < 0.3:
                therapy["therapy_targets"] = [rng.choice(targets)]
            if rng.random() < 0.6:
                therapy["xrefs"] = [self.term(rng.choice(self.facts["therapy_prefixes"]))
                                    for _ in range(rng.choice((1, 1, 2)))]
        therapies = [t["id"] for t in self.records["therapies"]]
        directed = [s for s in enums["ClaimRelationEnum"] if s.startswith("involves_")]
        origins: dict[str, str | None] = {}
        for i in range(counts["mechanisms"]):
            mech = self._entity("mechanisms", f"mechanism {i:06d} {rng.choice(_WORDS)} {rng.choice(_WORDS)}",
                                "A synthetic mechanism of immunotherapy resistance.")
            if rng.random() < 0.6:  # the curated KB states an origin for 13 of its 22 mechanisms
                mech["origin"] = rng.choice(enums["OriginEnum"])
            if rng.random() < 0.75:
                mech["categories"] = rng.sample(enums["MechanismCategoryEnum"], rng.choice((1, 1, 2)))
            if rng.random() < 0.1:
                mech["timing"] = [rng.choice(enums["TimingEnum"])]
            if i:  # a forest: every mechanism but the first has an earlier, broader one (no cycles)
                parent = self.records["mechanisms"][rng.randrange(max(1, i // 10 + 1))]
                mech["broader_mechanisms"] = [parent["id"]]
                if mech.get("origin") and origins.get(parent["id"]):  # a kind of a mechanism has its origin
                    mech["origin"] = origins[parent["id"]]
            # the origin it has, stated or through its broader mechanisms
            origins[mech["id"]] = mech.get("origin") or (origins.get(parent["id"]) if i else None)
            mech["involves"] = rng.sample(targets, min(len(targets), rng.choice((1, 1, 2))))
            if rng.random() < 0.45:
                mech[rng.choice(directed)] = [rng.choice(targets)]
            if rng.random() < 0.3:
                mech["undermines"] = [rng.choice(therapies)]
            if rng.random() < 0.2:
                mech["leads_to"] = [rng.choice(phenotypes)]
            if rng.random() < 0.2:
                mech["synonyms"] = [f"M{i} resistance"]
            if rng.random() < 0.5:
                mech["comment"] = "Synthetic record for the benchmark."
        mechanisms = [m["id"] for m in self.records["mechanisms"]]
        for i in range(counts["countermeasures"]):
            cm = self._entity("countermeasures", f"countermeasure {i:06d} {rng.choice(_WORDS)}",
                              "A synthetic countermeasure.")
            cm["counteracts"] = rng.sample(mechanisms, min(len(mechanisms), rng.choice((1, 1, 2))))
            if rng.random() < 0.6:
                cm["acts_on"] = [rng.choice(targets)]
            if rng.random() < 0.5:
                cm["agents"] = [rng.choice(therapies)]
            if rng.random() < 0.8:
                cm["combined_with"] = [rng.choice(therapies)]

    def evidence(self, shares: dict[str, int]) -> None:
        """Give each kind its share of the n evidence items: one about the entity, then one per link."""
        slots = set(self.facts["enums"]["ClaimRelationEnum"])
        pubs = [p["id"] for p in self.records["publications"]]
        for kind, total in shares.items():
            records = self.records[kind]
            base, extra = divmod(total, len(records))
            for i, record in enumerate(records):
                links = [(s, v) for s in sorted(record) if s in slots for v in record[s]]
                items = []
                for k in range(base + (1 if i < extra else 0)):
                    pid = self.rng.choice(pubs)
                    item = {"id": self.ids()}
                    if k and links:
                        relation, obj = links[(k - 1) % len(links)]
                        item.update(about_relation=relation, about_object=obj)
                    inferred = self.rng.random() < 0.1
                    item.update(publication=pid, quote=self._quote(pid), evidence_type=self.rng.choice(_ECO),
                                evidence_direction="supports" if self.rng.random() < 0.97 else "refutes",
                                source_kind=self.rng.choice(self.facts["enums"]["SourceKindEnum"]),
                                assertion_method="inferred" if inferred else "stated")
                    if inferred:
                        item["curator_note"] = "Synthetic: inferred by the generator."
                    items.append(item)
                record["has_evidence"] = items

    # --- output --------------------------------------------------------------------------------------------
    def write(self, out: Path, schema_dir: Path, curated: Path) -> None:
        dump = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(schema_dir, out / "schema")
        instances = out / "instances"
        shutil.copytree(curated, instances)  # the curated KB, which the synthetic records extend
        for kind in (*self.records, "sources", "external_terms"):
            (instances / kind).mkdir(parents=True, exist_ok=True)
        minted = []
        for kind, records in self.records.items():
            for record in records:
                text = yaml.dump(record, Dumper=dump, sort_keys=False, allow_unicode=True, width=120)
                (out / self.paths[id(record)]).write_text(text, encoding="utf-8")
                minted.append(f"{record['id']}\t{record.get('label', '')}\t{kind.removesuffix('s')}\n")
                minted += [f"{e['id']}\tevidence\tevidence\n" for e in record.get("has_evidence") or []]
        with (instances / "id-ledger.tsv").open("a", encoding="utf-8") as ledger:  # minted, as `ciro mint` would
            once = {line.split("\t", 1)[0]: line for line in reversed(minted)}  # an injected duplicate id was
            ledger.writelines(reversed(once.values()))  # minted once
        for pub in self.records["publications"]:
            name = pub["source_text"]
            front = {"slug": name[:-4], "title": pub["title"], "source_format": "synthetic"}
            body = "\n\n".join(" ".join(self.sentences[pub["id"]][i: i + 5])
                               for i in range(0, len(self.sentences[pub["id"]]), 5))
            if name not in self.no_source:
                (instances / "sources" / name).write_text(
                    "---\n" + yaml.dump(front, Dumper=dump, sort_keys=False) + "---\n" + body + "\n", encoding="utf-8")
        for k in range(0, len(self.terms), 1000):  # a record file may hold at most 2 MB / 100,000 YAML nodes
            chunk = self.terms[k: k + 1000]
            (instances / "external_terms" / f"bench-{k // 1000:04d}.yaml").write_text(
                yaml.dump(chunk, Dumper=dump, sort_keys=False, width=120), encoding="utf-8")
        for rel, text in self.extra_files.items():
            (out / rel).write_text(text, encoding="utf-8")


def _counts(n: int) -> tuple[dict[str, int], dict[str, int], int]:
    total = sum(e for _c, e in _ENTITIES.values())
    counts = {k: max(1, round(c * n / total)) for k, (c, _e) in _ENTITIES.items()}
    shares = {k: max(counts[k], round(e * n / total)) for k, (_c, e) in _ENTITIES.items()}
    shares["mechanisms"] += n - sum(shares.values())  # the remainder, so that there are exactly n items
    return counts, shares, max(3, round(n / _EVIDENCE_PER_PUBLICATION))


@dataclass(frozen=True)
class _Curated:
    evidence: int  # evidence items
    term_ids: frozenset[str]  # external term ids


def _curated(instances: Path) -> _Curated:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    evidence, terms = 0, set()
    for path in sorted(instances.glob("*/*.yaml")):
        if path.parent.name == "sources":
            continue
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        for record in data if isinstance(data, list) else [data]:
            if isinstance(record, dict):
                evidence += len(record.get("has_evidence") or [])
                if path.parent.name == "external_terms":
                    terms.add(str(record.get("id")))
    return _Curated(evidence, frozenset(terms))


def generate(n: int, out: Path, seed: int = 0, inject: bool = False, kinds: tuple[str, ...] | None = None,
             project: Path | None = None) -> dict:
    """Write a project with `n` evidence items to `out` (replacing it): the curated KB of `project` (default:
    this checkout) and synthetic records shaped like it. Returns the manifest (also out/manifest.json)."""
    from ..layout import Layout

    layout = Layout(project) if project else Layout.find()
    curated = _curated(layout.instances)
    synthetic = n - curated.evidence
    if synthetic < 100:
        raise ValueError(f"n must be at least {curated.evidence + 100}: the curated KB holds {curated.evidence} "
                         "evidence items, and at least 100 synthetic ones are generated")
    builder = _Builder(synthetic, seed, layout.schema)
    builder.used_terms.update(curated.term_ids)
    counts, shares, publications = _counts(synthetic)
    builder.publications(publications)
    builder.entities(counts)
    builder.evidence(shares)
    injected: list[Injected] = []
    if inject:
        from .inject import inject_errors

        injected = inject_errors(builder, tuple(kinds or ERROR_KINDS))
    builder.write(Path(out), layout.schema.parent, layout.instances)
    evidence = sum(len(r.get("has_evidence") or []) for rs in builder.records.values() for r in rs)
    manifest = {
        "generator": "ciro bench generate", "n": n, "seed": seed,
        "evidence_items": {"curated": curated.evidence, "synthetic": evidence},
        "synthetic_records": {k: len(v) for k, v in builder.records.items()} | {"external_terms": len(builder.terms)},
        "injected": [asdict(e) for e in injected],
    }
    (Path(out) / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest
