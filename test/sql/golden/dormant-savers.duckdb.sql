SELECT DISTINCT CAST("p"."user_id" AS VARCHAR) AS "profile_id"
FROM "main"."profiles" AS "p"
WHERE ("p"."user_id" IS NOT NULL)
  AND (CAST("p"."user_id" AS VARCHAR) <> ?)
  AND "p"."user_id" IN (
    SELECT "r1"."user_id" AS "k"
    FROM "main"."accounts" AS "r1"
    WHERE ("r1"."type" = ?)
      AND ("r1"."balance" >= ?)
      AND ("r1"."balance" <> CAST(? AS DOUBLE))
  )
  AND (NOT COALESCE("p"."user_id" IN (
    SELECT "e2"."user_id" AS "k"
    FROM "main"."events" AS "e2"
    WHERE ("e2"."event" = ?)
      AND ("e2"."ts" >= CAST(? AS TIMESTAMP))
      AND ("e2"."ts" <= CAST(? AS TIMESTAMP))
  ), FALSE))
  AND (NOT COALESCE(CAST("p"."user_id" AS VARCHAR) IN (
    SELECT CAST("c3"."user_id" AS VARCHAR) AS "profile_id"
    FROM "main"."vip_list" AS "c3"
  ), FALSE))
