// Residence, nationality, role and account countries of each of $ids
UNWIND $ids AS pid
MATCH (p:Person {id: pid})
OPTIONAL MATCH (p)-[:HOLDS]->(:Account)-[:IN_JURISDICTION]->(c:Country)
RETURN p.id AS id, p.name AS name, p.residence AS residence, p.nationality AS nationality,
       p.role AS role, collect(DISTINCT c.code) AS account_countries
ORDER BY id
