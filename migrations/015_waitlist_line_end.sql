-- Where a queue's tables stand once its waiting line has been played through up to this guest (estimate.ts,
-- `LineEnd`), kept on the last guest in line, so a party joining behind them is estimated from this instead of from
-- the whole line read again: a join stays O(1) however long the line, and keeping it costs no write of its own (it
-- goes in with the guest's row). Written under the queue's row lock by every join and, for the new last guest, by
-- every change that replays the line. `waiting`, `tables` and `default_service_minutes` say which line it was played
-- for, `since` when the line was last played in full. A join uses it only while all of them still hold and `since`
-- is under a minute old; otherwise it plays the line again. NULL on rows from before this, and on guests whose line
-- end was never kept.
ALTER TABLE waitlist_entries ADD COLUMN line_end jsonb;
