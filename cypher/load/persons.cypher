// Persons from KYC customers, intelligence and STRs: $rows = [{id, name, nationality, residence, source_sha256, record_ids}]
UNWIND $rows AS r
MERGE (p:Person {id: r.id})
SET p.name = r.name, p.nationality = r.nationality, p.residence = r.residence,
    p.source_sha256 = r.source_sha256, p.record_ids = r.record_ids
RETURN count(p) AS n
