"""`ciro mint`: the next id is above every id ever used, is recorded, and is never handed out twice."""

from __future__ import annotations

from ciro.curate.mint import mint, used_ids


def test_mint_goes_above_every_used_id_and_records_it(tmp_path):
    schema = tmp_path / "schema.yaml"
    schema.write_text("meaning: CIRO:0000007\n")
    instances = tmp_path / "instances"
    (instances / "mechanisms").mkdir(parents=True)
    (instances / "mechanisms" / "a.yaml").write_text("id: CIRO:0000150\n")
    ledger = instances / "id-ledger.tsv"
    ledger.write_text("id\tlabel\tkind\nCIRO:0000200\tretired\tmechanism\n")
    assert mint(ledger, schema, instances, "new thing", "target", count=2) == ["CIRO:0000201", "CIRO:0000202"]
    assert ledger.read_text().endswith("CIRO:0000201\tnew thing\ttarget\nCIRO:0000202\tnew thing\ttarget\n")
    # the retired id 200 is in the ledger only, yet never comes back
    (instances / "mechanisms" / "a.yaml").unlink()
    assert mint(ledger, schema, instances, "again", "target") == ["CIRO:0000203"]
    assert {200, 201, 202, 203} <= used_ids(ledger, schema, instances)


def test_first_id_is_100_on_an_empty_project(tmp_path):
    instances = tmp_path / "instances"
    instances.mkdir()
    assert mint(instances / "id-ledger.tsv", tmp_path / "none.yaml", instances, "x", "y") == ["CIRO:0000100"]
