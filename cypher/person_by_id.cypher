// One person by id.
MATCH (p:Person {id: $id})
RETURN p.id AS id, p.name AS name
