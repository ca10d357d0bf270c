SELECT 'abc', '', 'it''s', 'multi
line', 'ünïcödé'