// Intelligence ties between persons (acts and associations)
MATCH (p:Person)-[x:RECRUITED|TRANSPORTED|EXPLOITED|CONTROLLED|ASSOCIATED_WITH]->(q:Person)
RETURN p.id AS a, q.id AS b, type(x) AS type
