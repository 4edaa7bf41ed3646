// Index on the merge key of :Address
CREATE INDEX address_value IF NOT EXISTS FOR (n:Address) ON (n.value)
