// Index on the merge key of :Phone
CREATE INDEX phone_value IF NOT EXISTS FOR (n:Phone) ON (n.value)
