SELECT DISTINCT CAST("X4"."K" AS VARCHAR) AS "PROFILE_ID", CAST("X4"."ENTITY_ID" AS VARCHAR) AS "ENTITY_ID"
FROM (
  SELECT "R2"."user_id" AS "K", "R3"."card_id" AS "ENTITY_ID"
  FROM "main"."accounts" AS "R2"
  JOIN "main"."credit_cards" AS "R3" ON "R3"."account_id" = "R2"."account_id"
  WHERE ("R3"."balance" > ?)
    AND ("R3"."balance" <> CAST(? AS DOUBLE))
    AND ("R3"."due_date" < CAST(? AS TIMESTAMP))
) AS "X4"
WHERE "X4"."K" IN (
  SELECT "P1"."user_id" AS "K"
  FROM "main"."profiles" AS "P1"
  WHERE ("P1"."user_id" IS NOT NULL)
    AND (CAST("P1"."user_id" AS VARCHAR) <> ?)
    AND ("P1"."plan" IN (?, ?))
    AND (NOT COALESCE("P1"."user_id" IN (
      SELECT "E5"."user_id" AS "K"
      FROM "main"."events" AS "E5"
      WHERE ("E5"."event" = ?)
        AND ("E5"."ts" >= CAST(? AS TIMESTAMP))
        AND ("E5"."ts" <= CAST(? AS TIMESTAMP))
        AND (TRY_TO_DOUBLE(CAST(STRIP_NULL_VALUE(GET_PATH(TRY_PARSE_JSON("E5"."properties"), ?)) AS VARCHAR)) >= ?)
        AND (TRY_TO_DOUBLE(CAST(STRIP_NULL_VALUE(GET_PATH(TRY_PARSE_JSON("E5"."properties"), ?)) AS VARCHAR)) <> CAST(? AS DOUBLE))
    ), FALSE))
)
