SELECT DISTINCT CAST("P"."user_id" AS VARCHAR) AS "PROFILE_ID"
FROM "main"."profiles" AS "P"
WHERE ("P"."user_id" IS NOT NULL)
  AND EXISTS (
    SELECT 1 AS "ONE"
    FROM "main"."accounts" AS "R1"
    WHERE ("R1"."user_id" = "P"."user_id")
      AND ("R1"."type" = ?)
      AND ("R1"."balance" >= ?)
  )
  AND NOT EXISTS (
    SELECT 1 AS "ONE"
    FROM "main"."events" AS "E2"
    WHERE ("E2"."user_id" = "P"."user_id")
      AND ("E2"."event" = ?)
      AND ("E2"."ts" >= DATEADD(DAY, ?, CAST(? AS TIMESTAMP)))
      AND ("E2"."ts" <= CAST(? AS TIMESTAMP))
  )
  AND NOT EXISTS (
    SELECT 1 AS "ONE"
    FROM "main"."vip_list" AS "C3"
    WHERE CAST("C3"."user_id" AS VARCHAR) = CAST("P"."user_id" AS VARCHAR)
  )
