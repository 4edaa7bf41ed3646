// Index on the merge key of :Device — generated from cypher/model.toml
CREATE INDEX device_value IF NOT EXISTS FOR (n:Device) ON (n.value)
