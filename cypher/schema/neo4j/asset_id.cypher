// Index on the merge key of :Asset — generated from cypher/model.toml
CREATE INDEX asset_id IF NOT EXISTS FOR (n:Asset) ON (n.id)
