// Roles of persons: from intelligence and inferred, for each of $ids
UNWIND $ids AS pid
MATCH (p:Person {id: pid})
RETURN p.id AS id, p.role AS role, p.role_source AS role_source,
       p.inferred_role AS inferred_role, p.inferred_role_confidence AS confidence,
       p.community AS community, p.broker_score AS broker_score
ORDER BY id
