WITH "MEMBERS" AS (
  SELECT DISTINCT CAST("P1"."user_id" AS VARCHAR) AS "PROFILE_ID"
  FROM "main"."profiles" AS "P1"
  WHERE ("P1"."user_id" IS NOT NULL)
    AND (CAST("P1"."user_id" AS VARCHAR) <> ?)
    AND ("P1"."plan" IN (?, ?))
    AND "P1"."user_id" IN (
      SELECT "R2"."user_id" AS "K"
      FROM "main"."accounts" AS "R2"
      WHERE "R2"."account_id" IN (
        SELECT "R3"."account_id" AS "K"
        FROM "main"."credit_cards" AS "R3"
        WHERE ("R3"."balance" > ?)
          AND ("R3"."balance" <> CAST(? AS DOUBLE))
          AND ("R3"."due_date" < CAST(? AS TIMESTAMP))
      )
    )
    AND (NOT COALESCE("P1"."user_id" IN (
      SELECT "E4"."user_id" AS "K"
      FROM "main"."events" AS "E4"
      WHERE ("E4"."event" = ?)
        AND ("E4"."ts" >= CAST(? AS TIMESTAMP))
        AND ("E4"."ts" <= CAST(? AS TIMESTAMP))
        AND (TRY_TO_DOUBLE(CAST(STRIP_NULL_VALUE(GET_PATH(TRY_PARSE_JSON("E4"."properties"), ?)) AS VARCHAR)) >= ?)
        AND (TRY_TO_DOUBLE(CAST(STRIP_NULL_VALUE(GET_PATH(TRY_PARSE_JSON("E4"."properties"), ?)) AS VARCHAR)) <> CAST(? AS DOUBLE))
    ), FALSE))
)
SELECT DISTINCT CAST("P5"."user_id" AS VARCHAR) AS "PROFILE_ID", CAST(? AS VARCHAR) AS "ENTITY_PATH", CAST("R8"."card_id" AS VARCHAR) AS "ENTITY_ID"
FROM "main"."profiles" AS "P5"
JOIN "main"."accounts" AS "R7" ON "R7"."user_id" = "P5"."user_id"
JOIN "main"."credit_cards" AS "R8" ON "R8"."account_id" = "R7"."account_id"
WHERE ("P5"."user_id" IS NOT NULL)
  AND (CAST("P5"."user_id" AS VARCHAR) <> ?)
  AND CAST("P5"."user_id" AS VARCHAR) IN (
    SELECT "M6"."PROFILE_ID" AS "PROFILE_ID"
    FROM "MEMBERS" AS "M6"
  )
  AND ("R8"."balance" > ?)
  AND ("R8"."balance" <> CAST(? AS DOUBLE))
  AND ("R8"."due_date" < CAST(? AS TIMESTAMP))
  AND ("R8"."card_id" IS NOT NULL)
