// The app's side panel: kind and properties of the node named by $id (one indexed branch per label)
MATCH (n:Person {id: $id})
RETURN $id AS id, labels(n)[0] AS kind, properties(n) AS props
UNION ALL
MATCH (n:Company {id: $id})
RETURN $id AS id, labels(n)[0] AS kind, properties(n) AS props
UNION ALL
MATCH (n:Account {id: $id})
RETURN $id AS id, labels(n)[0] AS kind, properties(n) AS props
UNION ALL
MATCH (n:Phone {value: $id})
RETURN $id AS id, labels(n)[0] AS kind, properties(n) AS props
UNION ALL
MATCH (n:Email {value: $id})
RETURN $id AS id, labels(n)[0] AS kind, properties(n) AS props
UNION ALL
MATCH (n:Address {value: $id})
RETURN $id AS id, labels(n)[0] AS kind, properties(n) AS props
UNION ALL
MATCH (n:Device {value: $id})
RETURN $id AS id, labels(n)[0] AS kind, properties(n) AS props
UNION ALL
MATCH (n:IP {value: $id})
RETURN $id AS id, labels(n)[0] AS kind, properties(n) AS props
UNION ALL
MATCH (n:Ad {id: $id})
RETURN $id AS id, labels(n)[0] AS kind, properties(n) AS props
UNION ALL
MATCH (n:Trip {id: $id})
RETURN $id AS id, labels(n)[0] AS kind, properties(n) AS props
UNION ALL
MATCH (n:Alert {id: $id})
RETURN $id AS id, labels(n)[0] AS kind, properties(n) AS props
UNION ALL
MATCH (n:Asset {id: $id})
RETURN $id AS id, labels(n)[0] AS kind, properties(n) AS props
UNION ALL
MATCH (n:STR {id: $id})
RETURN $id AS id, labels(n)[0] AS kind, properties(n) AS props
