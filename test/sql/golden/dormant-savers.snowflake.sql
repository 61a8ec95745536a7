SELECT DISTINCT CAST("P"."user_id" AS VARCHAR) AS "PROFILE_ID"
FROM "main"."profiles" AS "P"
WHERE ("P"."user_id" IS NOT NULL)
  AND (CAST("P"."user_id" AS VARCHAR) <> ?)
  AND "P"."user_id" IN (
    SELECT "R1"."user_id" AS "K"
    FROM "main"."accounts" AS "R1"
    WHERE ("R1"."type" = ?)
      AND ("R1"."balance" >= ?)
      AND ("R1"."balance" <> CAST(? AS DOUBLE))
  )
  AND (NOT COALESCE("P"."user_id" IN (
    SELECT "E2"."user_id" AS "K"
    FROM "main"."events" AS "E2"
    WHERE ("E2"."event" = ?)
      AND ("E2"."ts" >= CAST(? AS TIMESTAMP))
      AND ("E2"."ts" <= CAST(? AS TIMESTAMP))
  ), FALSE))
  AND (NOT COALESCE(CAST("P"."user_id" AS VARCHAR) IN (
    SELECT CAST("C3"."user_id" AS VARCHAR) AS "PROFILE_ID"
    FROM "main"."vip_list" AS "C3"
  ), FALSE))
