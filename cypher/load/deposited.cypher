// Cash deposits by a named depositor, aggregated per depositor and account:
// $rows = [{depositor, account, count, total, first_ms, last_ms, evidence, source_sha256}]
UNWIND $rows AS r
MATCH (p:Person {id: r.depositor}), (a:Account {id: r.account})
MERGE (p)-[d:DEPOSITED]->(a)
SET d.key = 'Person:' + r.depositor + '>Account:' + r.account, d.count = r.count, d.total = r.total, d.first_ms = r.first_ms, d.last_ms = r.last_ms,
    d.record_ids = r.evidence, d.source_sha256 = r.source_sha256
RETURN count(d) AS n
