// One hop of a time-respecting money trace: money flows out of each frontier account that
// happened after the money arrived there (f.t, epoch ms) and began within f.window_ms of it
UNWIND $frontier AS f
MATCH (a:Account {id: f.id})-[p:PAID]->(b:Account)
WHERE p.last_ms >= f.t AND p.first_ms <= f.t + f.window_ms
RETURN a.id AS src, b.id AS dst, p.month AS month, p.total AS total, p.count AS count,
       p.first_ms AS first_ms, p.last_ms AS last_ms
ORDER BY src, dst, month
