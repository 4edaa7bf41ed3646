// Index on the merge key of :Country
CREATE INDEX country_code IF NOT EXISTS FOR (n:Country) ON (n.code)
