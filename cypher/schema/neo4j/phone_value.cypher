// Index on the merge key of :Phone — generated from cypher/model.toml
CREATE INDEX phone_value IF NOT EXISTS FOR (n:Phone) ON (n.value)
