// Intelligence acts against victims (one row per record), for chain reconstruction.
// `place` is where the act happened (free text); `jurisdiction` the country holding the record.
MATCH (s:Person)-[x:RECRUITED|TRANSPORTED|EXPLOITED|CONTROLLED]->(v:Person)
RETURN s.id AS actor, type(x) AS act, v.id AS victim, x.link_id AS link_id,
       x.jurisdiction AS jurisdiction, x.grading AS grading, x.date AS date,
       x.place AS place, x.from_country AS from_country, x.to_country AS to_country
ORDER BY link_id
