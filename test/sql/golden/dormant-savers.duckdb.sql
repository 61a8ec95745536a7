SELECT DISTINCT CAST("p"."user_id" AS VARCHAR) AS "profile_id"
FROM "main"."profiles" AS "p"
WHERE ("p"."user_id" IS NOT NULL)
  AND EXISTS (
    SELECT 1 AS "one"
    FROM "main"."accounts" AS "r1"
    WHERE ("r1"."user_id" = "p"."user_id")
      AND ("r1"."type" = ?)
      AND ("r1"."balance" >= ?)
  )
  AND NOT EXISTS (
    SELECT 1 AS "one"
    FROM "main"."events" AS "e2"
    WHERE ("e2"."user_id" = "p"."user_id")
      AND ("e2"."event" = ?)
      AND ("e2"."ts" >= (CAST(? AS TIMESTAMP) + to_days(CAST(? AS INTEGER))))
      AND ("e2"."ts" <= CAST(? AS TIMESTAMP))
  )
  AND NOT EXISTS (
    SELECT 1 AS "one"
    FROM "main"."vip_list" AS "c3"
    WHERE CAST("c3"."user_id" AS VARCHAR) = CAST("p"."user_id" AS VARCHAR)
  )
