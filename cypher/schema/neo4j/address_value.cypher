// Index on the merge key of :Address — generated from cypher/model.toml
CREATE INDEX address_value IF NOT EXISTS FOR (n:Address) ON (n.value)
