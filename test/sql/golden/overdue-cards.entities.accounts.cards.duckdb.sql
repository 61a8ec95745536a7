WITH "members" AS (
  SELECT DISTINCT CAST("p1"."user_id" AS VARCHAR) AS "profile_id"
  FROM "main"."profiles" AS "p1"
  WHERE ("p1"."user_id" IS NOT NULL)
    AND (CAST("p1"."user_id" AS VARCHAR) <> ?)
    AND ("p1"."plan" IN (?, ?))
    AND "p1"."user_id" IN (
      SELECT "r2"."user_id" AS "k"
      FROM "main"."accounts" AS "r2"
      WHERE "r2"."account_id" IN (
        SELECT "r3"."account_id" AS "k"
        FROM "main"."credit_cards" AS "r3"
        WHERE ("r3"."balance" > ?)
          AND ("r3"."balance" <> CAST(? AS DOUBLE))
          AND ("r3"."due_date" < CAST(? AS TIMESTAMP))
      )
    )
    AND (NOT COALESCE("p1"."user_id" IN (
      SELECT "e4"."user_id" AS "k"
      FROM "main"."events" AS "e4"
      WHERE ("e4"."event" = ?)
        AND ("e4"."ts" >= CAST(? AS TIMESTAMP))
        AND ("e4"."ts" <= CAST(? AS TIMESTAMP))
        AND (TRY_CAST(try(json_extract_string("e4"."properties", ?)) AS DOUBLE) >= ?)
        AND (TRY_CAST(try(json_extract_string("e4"."properties", ?)) AS DOUBLE) <> CAST(? AS DOUBLE))
    ), FALSE))
)
SELECT DISTINCT CAST("p5"."user_id" AS VARCHAR) AS "profile_id", CAST(? AS VARCHAR) AS "entity_path", CAST("r8"."card_id" AS VARCHAR) AS "entity_id"
FROM "main"."profiles" AS "p5"
JOIN "main"."accounts" AS "r7" ON "r7"."user_id" = "p5"."user_id"
JOIN "main"."credit_cards" AS "r8" ON "r8"."account_id" = "r7"."account_id"
WHERE ("p5"."user_id" IS NOT NULL)
  AND (CAST("p5"."user_id" AS VARCHAR) <> ?)
  AND CAST("p5"."user_id" AS VARCHAR) IN (
    SELECT "m6"."profile_id" AS "profile_id"
    FROM "members" AS "m6"
  )
  AND ("r8"."balance" > ?)
  AND ("r8"."balance" <> CAST(? AS DOUBLE))
  AND ("r8"."due_date" < CAST(? AS TIMESTAMP))
  AND ("r8"."card_id" IS NOT NULL)
