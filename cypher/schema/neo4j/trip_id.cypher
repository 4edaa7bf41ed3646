// Index on the merge key of :Trip — generated from cypher/model.toml
CREATE INDEX trip_id IF NOT EXISTS FOR (n:Trip) ON (n.id)
