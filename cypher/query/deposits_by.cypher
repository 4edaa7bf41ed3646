// Cash paid by each of $ids (named depositors) into other parties' accounts, summed per
// recipient — the same columns as query/party_flows_out
UNWIND $ids AS pid
MATCH (d:Person {id: pid})-[x:DEPOSITED]->(a:Account)<-[:HOLDS]-(q)
WHERE q.id <> pid
RETURN pid AS src, q.id AS dst, labels(q)[0] AS dst_kind, a.country AS dst_country,
       sum(x.total) AS total, sum(x.count) AS count, collect(x.record_ids) AS evidence
ORDER BY src, dst, dst_country
