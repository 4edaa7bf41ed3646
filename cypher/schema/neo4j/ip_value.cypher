// Index on the merge key of :IP — generated from cypher/model.toml
CREATE INDEX ip_value IF NOT EXISTS FOR (n:IP) ON (n.value)
