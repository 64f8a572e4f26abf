-- Every committed change to what the board shows sends NOTIFY alphaboard_board with the model id it concerns
-- (a models row also names its base_model, whose page lists it; TRUNCATE sends '*'). The web tier listens and
-- refreshes its in-process leaderboard snapshot and drops cached model reads for exactly those ids
-- (db/queries/board-watch.ts). Updates that change nothing send nothing.
CREATE OR REPLACE FUNCTION alphaboard_notify_board() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify('alphaboard_board', '*');
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  IF TG_TABLE_NAME = 'models' THEN
    PERFORM pg_notify('alphaboard_board', r.id);
    IF r.base_model IS NOT NULL THEN PERFORM pg_notify('alphaboard_board', r.base_model); END IF;
    IF TG_OP = 'UPDATE' AND OLD.base_model IS NOT NULL AND OLD.base_model IS DISTINCT FROM NEW.base_model THEN
      PERFORM pg_notify('alphaboard_board', OLD.base_model);
    END IF;
  ELSE
    PERFORM pg_notify('alphaboard_board', r.model_id);
    IF TG_OP = 'UPDATE' AND OLD.model_id IS DISTINCT FROM NEW.model_id THEN
      PERFORM pg_notify('alphaboard_board', OLD.model_id);
    END IF;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER models_board_change AFTER INSERT OR DELETE ON models FOR EACH ROW EXECUTE FUNCTION alphaboard_notify_board();
--> statement-breakpoint
CREATE TRIGGER models_board_update AFTER UPDATE ON models FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION alphaboard_notify_board();
--> statement-breakpoint
CREATE TRIGGER models_board_truncate AFTER TRUNCATE ON models FOR EACH STATEMENT EXECUTE FUNCTION alphaboard_notify_board();
--> statement-breakpoint
CREATE TRIGGER revisions_board_change AFTER INSERT OR DELETE ON revisions FOR EACH ROW EXECUTE FUNCTION alphaboard_notify_board();
--> statement-breakpoint
CREATE TRIGGER revisions_board_update AFTER UPDATE ON revisions FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION alphaboard_notify_board();
--> statement-breakpoint
CREATE TRIGGER revisions_board_truncate AFTER TRUNCATE ON revisions FOR EACH STATEMENT EXECUTE FUNCTION alphaboard_notify_board();
--> statement-breakpoint
CREATE TRIGGER analyses_board_change AFTER INSERT OR DELETE ON analyses FOR EACH ROW EXECUTE FUNCTION alphaboard_notify_board();
--> statement-breakpoint
CREATE TRIGGER analyses_board_update AFTER UPDATE ON analyses FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION alphaboard_notify_board();
--> statement-breakpoint
CREATE TRIGGER analyses_board_truncate AFTER TRUNCATE ON analyses FOR EACH STATEMENT EXECUTE FUNCTION alphaboard_notify_board();
--> statement-breakpoint
CREATE TRIGGER benchmark_scores_board_change AFTER INSERT OR DELETE ON benchmark_scores FOR EACH ROW EXECUTE FUNCTION alphaboard_notify_board();
--> statement-breakpoint
CREATE TRIGGER benchmark_scores_board_update AFTER UPDATE ON benchmark_scores FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION alphaboard_notify_board();
--> statement-breakpoint
CREATE TRIGGER benchmark_scores_board_truncate AFTER TRUNCATE ON benchmark_scores FOR EACH STATEMENT EXECUTE FUNCTION alphaboard_notify_board();
