// Index on the merge key of :Person — generated from cypher/model.toml
CREATE INDEX person_id IF NOT EXISTS FOR (n:Person) ON (n.id)
