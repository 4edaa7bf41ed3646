// Cash deposited by named depositors into accounts held by each of $ids
UNWIND $ids AS pid
MATCH (d:Person)-[x:DEPOSITED]->(a:Account)<-[:HOLDS]-(p:Person {id: pid})
WHERE d.id <> pid
RETURN d.id AS depositor, pid AS holder, sum(x.total) AS total, sum(x.count) AS count,
       collect(x.record_ids) AS evidence
ORDER BY depositor, holder
