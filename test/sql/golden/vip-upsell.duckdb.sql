SELECT DISTINCT CAST("p"."user_id" AS VARCHAR) AS "profile_id"
FROM "main"."profiles" AS "p"
WHERE ("p"."user_id" IS NOT NULL)
  AND (CAST("p"."user_id" AS VARCHAR) <> ?)
  AND (CAST("p"."user_id" AS VARCHAR) IN (
      SELECT "m1"."profile_id" AS "profile_id"
      FROM "LINKED_AUDIENCES"."membership" AS "m1"
      WHERE "m1"."audience_key" = ?
    )
    OR CAST("p"."user_id" AS VARCHAR) IN (
      SELECT CAST("c2"."user_id" AS VARCHAR) AS "profile_id"
      FROM "main"."vip_list" AS "c2"
    ))
  AND ("p"."credit_score" >= ?)
  AND ("p"."credit_score" <> CAST(? AS DOUBLE))
  AND EXISTS (
    SELECT 1 AS "one"
    FROM "main"."accounts" AS "r3"
    WHERE ("r3"."user_id" = "p"."user_id")
      AND ("r3"."status" = ?)
      AND ("r3"."opened_at" >= "p"."created_at")
      AND "r3"."account_id" IN (
        SELECT "r4"."account_id" AS "k"
        FROM "main"."credit_cards" AS "r4"
        WHERE ("r4"."balance" < "r4"."credit_limit")
          AND (NOT COALESCE("r4"."card_id" IN (
            SELECT "j6"."card_id" AS "k"
            FROM "main"."card_offers" AS "j6"
            JOIN "main"."offers" AS "r5" ON "j6"."offer_id" = "r5"."offer_id"
            WHERE "r5"."category" = ?
          ), FALSE))
      )
  )
