// Journeys of victims, from intelligence records of transport that give the countries:
// $rows = [{id, person, from_country, to_country, date, source_sha256, record_ids}]
UNWIND $rows AS r
MATCH (p:Person {id: r.person})
MERGE (t:Trip {id: r.id})
SET t.from_country = r.from_country, t.to_country = r.to_country, t.date = r.date,
    t.source_sha256 = r.source_sha256, t.record_ids = r.record_ids
MERGE (p)-[x:TRAVELLED]->(t)
SET x.key = 'Person:' + r.person + '>Trip:' + r.id, x.source_sha256 = r.source_sha256, x.record_ids = r.record_ids
RETURN count(x) AS n
