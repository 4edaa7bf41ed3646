// Accounts named by $ids: an account id itself, or the accounts a person or company holds
UNWIND $ids AS x
OPTIONAL MATCH (a:Account {id: x})
OPTIONAL MATCH (:Person {id: x})-[:HOLDS]->(p:Account)
OPTIONAL MATCH (:Company {id: x})-[:HOLDS]->(c:Account)
RETURN x AS id, a.id AS account, collect(DISTINCT p.id) + collect(DISTINCT c.id) AS held
