use super::*;
use domain::case::{apply, Action, Status};
use store::cases::CaseFilter;
use store::{AuditReport, StoreError, Table};

both_backends! {
    case_round_trip(s) {
        let c = create(&s, "2026-11-27T10:00:00+08:00").await;
        assert!(c.id > 0);
        let got = s.get_case(c.id).await.unwrap();
        assert_eq!(got, c);
        let rep = s.reporter(c.reporter_id.unwrap()).await.unwrap();
        assert_eq!(rep.phone.as_deref(), Some("13800138000"));
        assert!(matches!(s.get_case(c.id + 1000).await, Err(StoreError::NotFound)));
    }

    actions_are_stored_with_their_audit_record(s) {
        let c = create(&s, "2026-11-27T10:00:00+08:00").await;
        let a = apply(&c, &Action::Accept, &dispatcher(), None, c.created_at + chrono::Duration::seconds(20)).unwrap();
        s.save_case(&c, a.clone(), Default::default()).await.unwrap();
        let d = apply(&a, &Action::Dispatch { responders: vec![5, 6] }, &dispatcher(), Some("联合派单"), a.updated_at + chrono::Duration::seconds(40)).unwrap();
        s.save_case(&a, d.clone(), Default::default()).await.unwrap();
        let got = s.get_case(c.id).await.unwrap();
        assert_eq!(got, d);
        assert_eq!(got.status, Status::Dispatched);
        let audit = s.audit_for("case", &c.id.to_string(), 10).await.unwrap();
        let actions: Vec<_> = audit.iter().map(|r| r.entry.action.as_str()).collect();
        assert_eq!(actions, ["case.dispatch", "case.accept", "case.create"]);
        assert_eq!(s.verify_audit().await.unwrap(), AuditReport::Intact { records: 3 });
    }

    a_stale_write_is_refused_and_changes_nothing(s) {
        let c = create(&s, "2026-11-27T10:00:00+08:00").await;
        let at = c.created_at + chrono::Duration::seconds(5);
        let first = apply(&c, &Action::Accept, &dispatcher(), None, at).unwrap();
        let second = apply(&c, &Action::Void, &dispatcher(), Some("重复"), at).unwrap();
        s.save_case(&c, first.clone(), Default::default()).await.unwrap();
        assert!(matches!(s.save_case(&c, second, Default::default()).await, Err(StoreError::Conflict(_))));
        assert_eq!(s.get_case(c.id).await.unwrap(), first);
        assert_eq!(s.count(Table::CaseEvents).await.unwrap(), 2);
        assert_eq!(s.verify_audit().await.unwrap(), AuditReport::Intact { records: 2 });
    }

    concurrent_creations_are_all_kept_in_one_chain(s) {
        let mut tasks = vec![];
        for i in 0..300 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let at = t("2026-11-27T10:00:00+08:00") + chrono::Duration::milliseconds(i);
                s.create_case(new_case(at, "330114004001002", i % 2 == 0)).await.unwrap().id
            }));
        }
        let mut ids = vec![];
        for task in tasks {
            ids.push(task.await.unwrap());
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 300);
        assert_eq!(s.count(Table::Cases).await.unwrap(), 300);
        assert_eq!(s.verify_audit().await.unwrap(), AuditReport::Intact { records: 300 });
    }

    lists_filter_and_page(s) {
        for (i, grid) in ["330114004001001", "330114004001002", "330114004001001"].iter().enumerate() {
            let at = t("2026-11-27T10:00:00+08:00") + chrono::Duration::minutes(i as i64);
            s.create_case(new_case(at, grid, false)).await.unwrap();
        }
        let all = s.list_cases(&CaseFilter { limit: 2, ..Default::default() }).await.unwrap();
        assert_eq!(all.cases.len(), 2);
        assert!(all.cases[0].id > all.cases[1].id);
        let rest = s.list_cases(&CaseFilter { limit: 2, before_id: all.next_before_id, ..Default::default() }).await.unwrap();
        assert_eq!(rest.cases.len(), 1);
        assert_eq!(rest.next_before_id, None);
        assert_eq!(rest.cases[0].events.len(), 1);
        let grid = s
            .list_cases(&CaseFilter { grids: Some(vec![GridCode::parse("330114004001001").unwrap()]), limit: 50, ..Default::default() })
            .await
            .unwrap();
        assert_eq!(grid.cases.len(), 2);
        let none = s.list_cases(&CaseFilter { grids: Some(vec![]), limit: 50, ..Default::default() }).await.unwrap();
        assert!(none.cases.is_empty());
        let new = s.list_cases(&CaseFilter { status: Some(vec![Status::New]), since: Some(t("2026-11-27T10:01:00+08:00")), limit: 50, ..Default::default() }).await.unwrap();
        assert_eq!(new.cases.len(), 2);
    }

    audit_tampering_is_named(s) {
        for i in 0..5 {
            create(&s, &format!("2026-11-27T10:0{i}:00+08:00")).await;
        }
        assert_eq!(s.verify_audit().await.unwrap(), AuditReport::Intact { records: 5 });
        // An attacker with database access removes the append-only guard, then edits.
        let raw = RawDb::new(&s).await;
        raw.unguard().await;
        raw.exec("UPDATE audit_log SET detail = '{}' WHERE seq = 3").await;
        assert!(matches!(s.verify_audit().await.unwrap(), AuditReport::Broken { seq: 3, .. }));
    }

    audit_deletion_and_insertion_are_named(s) {
        for i in 0..5 {
            create(&s, &format!("2026-11-27T10:0{i}:00+08:00")).await;
        }
        let raw = RawDb::new(&s).await;
        raw.unguard().await;
        raw.exec("DELETE FROM audit_log WHERE seq = 5").await;
        assert!(matches!(s.verify_audit().await.unwrap(), AuditReport::Broken { seq: 5, .. }));
        raw.exec("DELETE FROM audit_log WHERE seq = 2").await;
        assert!(matches!(s.verify_audit().await.unwrap(), AuditReport::Broken { seq: 2, .. }));
        // Re-inserting a forged record 2 does not fit the chain either.
        raw.exec("INSERT INTO audit_log (seq, at, actor, action, entity, entity_id, detail, prev_hash, hash) \
                  SELECT 2, at, actor, action, entity, entity_id, detail, hash, hash FROM audit_log WHERE seq = 1").await;
        assert!(matches!(s.verify_audit().await.unwrap(), AuditReport::Broken { seq: 2, .. }));
    }

    audit_log_refuses_updates(s) {
        create(&s, "2026-11-27T10:00:00+08:00").await;
        let raw = RawDb::new(&s).await;
        assert!(raw.try_exec("UPDATE audit_log SET actor = 'x'").await.is_err());
        assert!(raw.try_exec("DELETE FROM audit_log").await.is_err());
    }

    backup_restores_into_either_backend(s) {
        let c = create(&s, "2026-11-27T10:00:00+08:00").await;
        let a = apply(&c, &Action::Accept, &dispatcher(), None, c.created_at + chrono::Duration::seconds(3)).unwrap();
        s.save_case(&c, a.clone(), Default::default()).await.unwrap();
        s.create_api_key("12345热线", "abc", "all", "admin", c.created_at).await.unwrap();
        // A coordinate whose shortest decimal form a fast float parser gets one ulp wrong.
        let mut odd = new_case(t("2026-11-27T10:05:00+08:00"), "330114004001002", false);
        odd.new.location = domain::geo::LatLng::new(30.3002135, 120.5683895).unwrap();
        let odd = s.create_case(odd).await.unwrap();
        let mut buf = vec![];
        let rows = s.backup(&mut buf).await.unwrap();
        assert!(rows >= 6, "{rows}");
        for url in [store::testing::fresh_sqlite_url(), store::testing::fresh_postgres_url().await] {
            let target = Store::open(&url).await.unwrap();
            assert_eq!(target.restore(&mut buf.as_slice()).await.unwrap(), rows);
            assert_eq!(target.get_case(c.id).await.unwrap(), a);
            assert_eq!(target.get_case(odd.id).await.unwrap(), odd, "a coordinate changed in the round trip");
            assert_eq!(target.verify_audit().await.unwrap(), s.verify_audit().await.unwrap());
            // The daily counts, left out of the backup, are rebuilt from the cases.
            let day = (t("2026-11-27T00:00:00+08:00"), t("2026-11-28T00:00:00+08:00"));
            assert_eq!(target.counts_by(store::stats::Dimension::Day, day.0, day.1).await.unwrap(), vec![("2026-11-27".to_owned(), 2)]);
            // New ids continue after the restored ones.
            let next = create(&target, "2026-11-27T11:00:00+08:00").await;
            assert!(next.id > c.id);
            // A second restore into a database that is no longer empty is refused.
            assert!(matches!(target.restore(&mut buf.as_slice()).await, Err(StoreError::Conflict(_))));
            target.close().await;
            store::testing::discard(&url).await;
        }
    }

    backup_covers_every_table_and_column(s) {
        let mut live = s.schema_columns().await.unwrap();
        let mut covered = store::backup::backed_up_columns();
        live.sort();
        covered.sort();
        assert_eq!(live, covered, "a table or column is missing from the backup spec in backup.rs");
    }

    corrupt_backups_are_refused_whole(s) {
        create(&s, "2026-11-27T10:00:00+08:00").await;
        let mut buf = vec![];
        s.backup(&mut buf).await.unwrap();
        let text = String::from_utf8(buf).unwrap();
        let cut: String = text.lines().take(text.lines().count() - 3).map(|l| format!("{l}\n")).collect();
        let url = store::testing::fresh_sqlite_url();
        let target = Store::open(&url).await.unwrap();
        assert!(matches!(target.restore(&mut cut.as_bytes()).await, Err(StoreError::Invalid(_))));
        assert!(matches!(target.restore(&mut "garbage\n".as_bytes()).await, Err(StoreError::Invalid(_))));
        assert_eq!(target.count(Table::Cases).await.unwrap(), 0);
        target.close().await;
        store::testing::discard(&url).await;
    }

    users_and_sessions(s) {
        let at = t("2026-11-27T10:00:00+08:00");
        let u = store::NewUser {
            username: "zhang".into(), password_hash: "h".into(), role: domain::role::Role::GridWorker,
            display_name: "张网格".into(), grid: Some("330114004001001".into()), station: None, phone: None,
        };
        let id = s.create_user(&u, "admin", at).await.unwrap();
        assert!(matches!(s.create_user(&u, "admin", at).await, Err(StoreError::Conflict(_))));
        s.create_session("tok", id, at, at + chrono::Duration::hours(1)).await.unwrap();
        assert_eq!(s.session_user("tok", at).await.unwrap().username, "zhang");
        assert!(matches!(s.session_user("tok", at + chrono::Duration::hours(2)).await, Err(StoreError::NotFound)));
        s.revoke_session("tok", at).await.unwrap();
        assert!(matches!(s.session_user("tok", at).await, Err(StoreError::NotFound)));
    }

    outbox_dedupes_leases_and_retries(s) {
        let c = create(&s, "2026-11-27T10:00:00+08:00").await;
        let msg = |key: &str| store::writer::OutboxMessage {
            dedupe_key: key.into(), channel: "sms".into(), recipient_user: Some(7), recipient_phone: None,
            subject: "督办".into(), body: "案件超时".into(),
        };
        let a = apply(&c, &Action::Accept, &dispatcher(), None, c.created_at + chrono::Duration::seconds(5)).unwrap();
        let extras = store::writer::Extras { outbox: vec![msg("escalate:accept:7"), msg("escalate:accept:7")], ..Default::default() };
        s.save_case(&c, a.clone(), extras).await.unwrap();
        // The same event for the same person is stored once, even when sent again later.
        let b = apply(&a, &Action::ContactParty, &dispatcher(), None, a.updated_at).unwrap();
        s.save_case(&a, b, store::writer::Extras { outbox: vec![msg("escalate:accept:7")], ..Default::default() }).await.unwrap();
        assert_eq!(s.outbox_for_case(c.id).await.unwrap().len(), 1);
        let now = c.created_at + chrono::Duration::minutes(2);
        // Claimed once under a lease; failed attempts come back after their retry time.
        let lease = now + chrono::Duration::seconds(30);
        let claimed = s.claim_outbox(now, lease, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert!(s.claim_outbox(now, lease, 10).await.unwrap().is_empty(), "claimed twice under a lease");
        s.outbox_failed(claimed[0].id, "gateway down", Some(now + chrono::Duration::seconds(10))).await.unwrap();
        assert!(s.claim_outbox(now + chrono::Duration::seconds(5), lease, 10).await.unwrap().is_empty());
        let again = s.claim_outbox(now + chrono::Duration::seconds(11), lease, 10).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 1);
        s.outbox_sent(again[0].id, now + chrono::Duration::seconds(12)).await.unwrap();
        let done = s.outbox_for_case(c.id).await.unwrap();
        assert_eq!((done[0].status.as_str(), done[0].attempts), ("sent", 2));
        // A lease that ran out (its node died) lets another node take the message.
        let c3 = create(&s, "2026-11-27T10:00:00+08:00").await;
        let d3 = apply(&c3, &Action::Accept, &dispatcher(), None, c3.created_at).unwrap();
        s.save_case(&c3, d3, store::writer::Extras { outbox: vec![msg("x")], ..Default::default() }).await.unwrap();
        assert_eq!(s.claim_outbox(now, now + chrono::Duration::seconds(30), 10).await.unwrap().len(), 1);
        assert_eq!(s.claim_outbox(now + chrono::Duration::seconds(31), now + chrono::Duration::seconds(60), 10).await.unwrap().len(), 1);
    }

    the_change_log_follows_every_write_in_order(s) {
        let start = s.last_change_seq().await.unwrap();
        let c = create(&s, "2026-11-27T10:00:00+08:00").await;
        let a = apply(&c, &Action::Accept, &dispatcher(), None, c.created_at).unwrap();
        s.save_case(&c, a, Default::default()).await.unwrap();
        s.load_reference(&store::ReferenceData {
            stations: vec![store::Station { code: "S1".into(), name_zh: "站".into(), name_en: "S".into(), kind: "station".into(), lat: 30.3, lng: 120.6, address: "".into() }],
            responders: vec![store::Responder { id: 1, name: "李".into(), force: domain::category::Force::Police, station: "S1".into(), grid: None,
                travel_mode: "car".into(), skills: vec![], shift: "day".into(), status: "available".into(), lat: None, lng: None, position_at: None, user_id: None }],
            ..Default::default()
        }, "t", c.created_at).await.unwrap();
        s.set_responder_status(1, "en_route", "t", c.created_at).await.unwrap();
        let pinged_before = s.last_position_seq().await.unwrap();
        s.set_responder_position(1, 30.31, 120.61, c.created_at).await.unwrap();
        // An older ping changes nothing.
        s.set_responder_position(1, 30.0, 120.0, c.created_at - chrono::Duration::minutes(1)).await.unwrap();
        let changes = s.changes_after(start, 100).await.unwrap();
        let kinds: Vec<(&str, i64)> = changes.iter().map(|c| (c.kind.as_str(), c.entity_id)).collect();
        // Pings are followed apart (position numbers), not in the change log.
        assert_eq!(kinds, vec![("case", c.id), ("case", c.id), ("responder", 1)]);
        assert!(changes.windows(2).all(|w| w[0].seq < w[1].seq));
        let payload: serde_json::Value = serde_json::from_str(&changes[1].payload).unwrap();
        assert_eq!(payload["status"], "accepted");
        assert_eq!(s.changes_after(changes[1].seq, 100).await.unwrap().len(), 1);
        let pings = s.positions_after(pinged_before, 10).await.unwrap();
        assert_eq!(pings.len(), 1, "{pings:?}");
        assert_eq!((pings[0].1, pings[0].2, pings[0].3), (1, 30.31, 120.61));
        s.set_responder_position(1, 30.32, 120.62, c.created_at + chrono::Duration::minutes(1)).await.unwrap();
        let next = s.positions_after(pings[0].0, 10).await.unwrap();
        assert_eq!((next.len(), next[0].2), (1, 30.32));
    }

    one_responder_is_never_sent_to_two_cases_at_once(s) {
        // Two stores on one database stand for two nodes.
        let other = Store::open(&s.url_for_tests()).await.unwrap();
        for round in 0..10 {
            let a = create(&s, "2026-11-27T10:00:00+08:00").await;
            let b = create(&other, "2026-11-27T10:00:00+08:00").await;
            let at = a.created_at + chrono::Duration::seconds(10);
            let a1 = apply(&a, &Action::Accept, &dispatcher(), None, at).unwrap();
            s.save_case(&a, a1.clone(), Default::default()).await.unwrap();
            let b1 = apply(&b, &Action::Accept, &dispatcher(), None, at).unwrap();
            other.save_case(&b, b1.clone(), Default::default()).await.unwrap();
            let responder = 100 + round;
            let a2 = apply(&a1, &Action::Dispatch { responders: vec![responder] }, &dispatcher(), None, at).unwrap();
            let b2 = apply(&b1, &Action::Dispatch { responders: vec![responder] }, &dispatcher(), None, at).unwrap();
            let (x, y) = tokio::join!(s.save_case(&a1, a2, Default::default()), other.save_case(&b1, b2, Default::default()));
            let won = [x.is_ok(), y.is_ok()];
            assert_eq!(won.iter().filter(|w| **w).count(), 1, "round {round}: {x:?} {y:?}");
            let lost = if x.is_ok() { y } else { x };
            assert!(matches!(lost, Err(StoreError::Conflict(m)) if m.contains("already assigned")));
        }
        // Once the case is closed the responder is free again.
        let c = create(&s, "2026-11-27T11:00:00+08:00").await;
        let at = c.created_at;
        let mut cur = c.clone();
        for (action, note) in [(Action::Accept, None), (Action::Dispatch { responders: vec![7] }, None), (Action::Arrive { responder: Some(7) }, None), (Action::Close, Some("ok"))] {
            let next = apply(&cur, &action, &dispatcher(), note, at).unwrap();
            s.save_case(&cur, next.clone(), Default::default()).await.unwrap();
            cur = next;
        }
        let d = create(&s, "2026-11-27T11:00:00+08:00").await;
        let d1 = apply(&d, &Action::Accept, &dispatcher(), None, at).unwrap();
        s.save_case(&d, d1.clone(), Default::default()).await.unwrap();
        let d2 = apply(&d1, &Action::Dispatch { responders: vec![7] }, &dispatcher(), None, at).unwrap();
        s.save_case(&d1, d2, Default::default()).await.unwrap();
        other.close().await;
    }

    summary_counts_promises(s) {
        let c = create(&s, "2026-11-27T10:00:00+08:00").await;
        let late = create(&s, "2026-11-27T10:00:00+08:00").await;
        let a = apply(&c, &Action::Accept, &dispatcher(), None, c.created_at + chrono::Duration::seconds(30)).unwrap();
        s.save_case(&c, a, Default::default()).await.unwrap();
        let b = apply(&late, &Action::Accept, &dispatcher(), None, c.created_at + chrono::Duration::seconds(90)).unwrap();
        s.save_case(&late, b, Default::default()).await.unwrap();
        let now = c.created_at + chrono::Duration::minutes(5);
        let sum = s.summary(c.created_at, c.created_at + chrono::Duration::hours(1), now).await.unwrap();
        assert_eq!(sum.total, 2);
        assert_eq!(sum.open, 2);
        let (p, accept) = sum.promises[0];
        assert_eq!(p, domain::deadline::Promise::Accept);
        assert_eq!((accept.kept, accept.missed), (1, 1));
        // Nobody was dispatched within 3 minutes.
        assert_eq!(sum.promises[1].1.missed, 2);
        let by = s.counts_by(store::stats::Dimension::Day, c.created_at, now).await.unwrap();
        assert_eq!(by, vec![("2026-11-27".to_owned(), 2)]);
    }

    counts_over_whole_days_come_from_the_daily_rollup_and_agree_with_the_cases(s) {
        use store::stats::Dimension;
        // Cases at 23:30 on the 25th, 00:10 and 15:00 on the 26th, 09:00 on the 27th
        // (Beijing), one of them imported as history.
        for at in ["2026-11-25T23:30:00+08:00", "2026-11-26T00:10:00+08:00", "2026-11-26T15:00:00+08:00"] {
            create(&s, at).await;
        }
        let history = create(&s, "2026-11-27T09:00:00+08:00").await;
        let mut old = history.clone();
        old.created_at = history.created_at - chrono::Duration::days(1);
        s.import_cases(&[old], "test", history.created_at).await.unwrap();
        let t = |x: &str| chrono::DateTime::parse_from_rfc3339(x).unwrap().with_timezone(&chrono::Utc);
        // From mid-evening on the 25th to mid-morning on the 27th: two partial days at the
        // ends and one whole day (the 26th) between, read from the rollup.
        let (from, to) = (t("2026-11-25T20:00:00+08:00"), t("2026-11-27T10:00:00+08:00"));
        let days = s.counts_by(Dimension::Day, from, to).await.unwrap();
        assert_eq!(days, vec![("2026-11-25".to_owned(), 1), ("2026-11-26".to_owned(), 3), ("2026-11-27".to_owned(), 1)]);
        let sources = s.counts_by(Dimension::Source, from, to).await.unwrap();
        assert_eq!(sources, vec![("hotline".to_owned(), 5)]);
        // Whole days only: everything read from the rollup, which holds what the cases say.
        let whole = s.counts_by(Dimension::Category, t("2026-11-25T00:00:00+08:00"), t("2026-11-28T00:00:00+08:00")).await.unwrap();
        assert_eq!(whole.iter().map(|r| r.1).sum::<i64>(), 5);
        // A period inside one day reads the cases alone; one ending at midnight reads whole days.
        assert_eq!(s.counts_by(Dimension::Day, t("2026-11-26T12:00:00+08:00"), t("2026-11-26T16:00:00+08:00")).await.unwrap(), vec![("2026-11-26".to_owned(), 1)]);
        assert_eq!(s.counts_by(Dimension::Priority, t("2026-11-26T00:00:00+08:00"), t("2026-11-27T00:00:00+08:00")).await.unwrap().iter().map(|r| r.1).sum::<i64>(), 3);
    }

    obligations_index_the_earliest_alert_of_any_matter(s) {
        use domain::obligation::{MatterKind, Owner, State};
        let c = create(&s, "2026-11-27T10:00:00+08:00").await;
        let obs = s.obligations(MatterKind::Case, c.id).await.unwrap();
        let names: Vec<_> = obs.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["accept", "close", "dispatch", "first_feedback", "on_site"]);
        assert!(obs.iter().all(|o| o.state == State::Open && o.owner == Owner::Role(domain::role::Role::Dispatcher)));
        let close = obs.iter().find(|o| o.name == "close").unwrap();
        assert_eq!(close.due_at, c.created_at + chrono::Duration::hours(24));
        // The earliest alert is the amber warning at 80 % of the accept minute: 48 s.
        let warn = c.created_at + chrono::Duration::seconds(48);
        assert_eq!(s.next_alert_due().await.unwrap(), Some(warn));
        assert!(s.matters_with_alerts_due(warn - chrono::Duration::milliseconds(1), 10).await.unwrap().is_empty());
        assert_eq!(s.matters_with_alerts_due(warn, 10).await.unwrap(), vec![(MatterKind::Case, c.id)]);
        // Accepted and sent: accept is kept, the on-site promise passes to the responder.
        let a = apply(&c, &Action::Accept, &dispatcher(), None, c.created_at + chrono::Duration::seconds(20)).unwrap();
        s.save_case(&c, a.clone(), Default::default()).await.unwrap();
        let d = apply(&a, &Action::Dispatch { responders: vec![5] }, &dispatcher(), None, a.updated_at).unwrap();
        s.save_case(&a, d.clone(), Default::default()).await.unwrap();
        let obs = s.obligations(MatterKind::Case, c.id).await.unwrap();
        let by = |n: &str| obs.iter().find(|o| o.name == n).unwrap().clone();
        assert_eq!((by("accept").state, by("accept").kept_at), (State::Kept, Some(a.updated_at)));
        assert_eq!(by("on_site").owner, Owner::Responder(5));
        assert_eq!(by("dispatch").state, State::Open, "dispatched, but the party not yet contacted");
        // Suspended: the clock stands still, nothing fires, yet the case still owes.
        let p = apply(&d, &Action::Suspend, &dispatcher(), Some("等待配件"), d.updated_at).unwrap();
        s.save_case(&d, p.clone(), Default::default()).await.unwrap();
        let obs = s.obligations(MatterKind::Case, c.id).await.unwrap();
        assert!(obs.iter().filter(|o| o.state != State::Kept).all(|o| o.state == State::Paused && o.next_alert_at.is_none()));
        assert_eq!(s.next_alert_due().await.unwrap(), None);
        assert!(s.open_matters_owing_nothing().await.unwrap().is_empty());
        // Read back, the case has the deadlines it was stored with.
        assert_eq!(s.get_case(c.id).await.unwrap(), p);
        // A case whose duties were deleted behind the platform's back is named.
        let raw = RawDb::new(&s).await;
        raw.exec(&format!("DELETE FROM obligations WHERE matter_id = {} AND name = 'close'", c.id)).await;
        raw.exec(&format!("UPDATE obligations SET state = 'kept' WHERE matter_id = {}", c.id)).await;
        assert_eq!(s.open_matters_owing_nothing().await.unwrap(), vec![(MatterKind::Case, c.id)]);
        assert!(matches!(s.get_case(c.id).await, Err(StoreError::Corrupt(_))));
    }

    no_sequence_of_writes_leaves_an_open_case_owing_nothing(s) {
        use domain::case::Satisfaction;
        let start = t("2026-11-27T10:00:00+08:00");
        let steps = [
            Action::Accept, Action::Dispatch { responders: vec![3] }, Action::ContactParty, Action::Suspend,
            Action::Resume, Action::Arrive { responder: Some(3) }, Action::Feedback, Action::Close,
            Action::Rate { satisfaction: Satisfaction::Satisfied }, Action::Reopen, Action::Dispatch { responders: vec![4] },
            Action::Decline { responder: 4 }, Action::Void, Action::Reject,
        ];
        // Every case walks its own path through the steps (each takes or skips each one).
        for pattern in 0..24u32 {
            let mut c = s.create_case(new_case(start, "330114004001001", false)).await.unwrap();
            for (i, step) in steps.iter().enumerate() {
                if (pattern >> (i % 5)) & 1 == 1 && i % 3 == 2 {
                    continue;
                }
                let at = c.updated_at + chrono::Duration::seconds(30);
                if let Ok(next) = apply(&c, step, &dispatcher(), Some("原因"), at) {
                    s.save_case(&c, next.clone(), Default::default()).await.unwrap();
                    c = next;
                }
                assert!(s.open_matters_owing_nothing().await.unwrap().is_empty(), "case {} owes nothing while {}", c.id, c.status.as_str());
            }
        }
    }
}

/// Direct SQL on the store's database, for tests that play an attacker or a crash.
struct RawDb {
    conn: tokio::sync::Mutex<sqlx::AnyConnection>,
    backend: store::Backend,
}

impl RawDb {
    async fn new(s: &Store) -> Self {
        use sqlx::Connection;
        let url = s.url_for_tests();
        Self { conn: tokio::sync::Mutex::new(sqlx::AnyConnection::connect(&url).await.unwrap()), backend: s.backend() }
    }
    async fn try_exec(&self, sql: &str) -> Result<(), sqlx::Error> {
        use sqlx::Executor;
        self.conn.lock().await.execute(sql).await.map(|_| ())
    }
    async fn exec(&self, sql: &str) {
        self.try_exec(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    async fn unguard(&self) {
        match self.backend {
            store::Backend::Sqlite => {
                self.exec("DROP TRIGGER audit_log_no_update").await;
                self.exec("DROP TRIGGER audit_log_no_delete").await;
            }
            store::Backend::Postgres => self.exec("DROP TRIGGER audit_log_no_change ON audit_log").await,
        }
    }
}

both_backends! {
    a_failed_commit_leaves_the_writer_working(s) {
        let before = create(&s, "2026-11-27T10:00:00+08:00").await;
        s.health().await.unwrap();
        store::testing::fail_commits(&s).await;
        // Several failures in a row, each on a connection of the pool.
        for i in 0..8 {
            let at = t("2026-11-27T10:01:00+08:00") + chrono::Duration::seconds(i);
            let e = s.create_case(new_case(at, "330114004001002", false)).await.unwrap_err();
            assert!(matches!(e, StoreError::Database(_)), "{e:?}");
        }
        let e = s.health().await.unwrap_err();
        assert!(e.to_string().contains("cannot commit"), "{e}");
        // Other writes keep working while case commits fail.
        s.audit(&store::AuditEntry {
            at: before.created_at,
            actor: "t".into(),
            action: "probe".into(),
            entity: "test".into(),
            entity_id: "1".into(),
            detail: "{}".into(),
        })
        .await
        .unwrap();
        store::testing::let_commits_pass(&s).await;
        // Space is back: the writer commits again without a restart, and health says so.
        for i in 0..8 {
            let at = t("2026-11-27T10:02:00+08:00") + chrono::Duration::seconds(i);
            s.create_case(new_case(at, "330114004001002", false)).await.unwrap();
        }
        s.health().await.unwrap();
        assert_eq!(s.count(Table::Cases).await.unwrap(), 9);
        assert!(matches!(s.verify_audit().await.unwrap(), AuditReport::Intact { .. }));
    }
}

impl RawDb {
    /// Rewrites the chain from record `from` on as someone without the key would: plain
    /// SHA-256 links over the records as they now stand, and a matching head.
    async fn recompute_chain_without_key(&self, from: i64) {
        use sha2::Digest;
        use sqlx::Row;
        let rows =
            sqlx::query("SELECT seq, at, actor, action, entity, entity_id, detail, hash FROM audit_log ORDER BY seq")
                .fetch_all(&mut *self.conn.lock().await)
                .await
                .unwrap();
        let mut prev = "0".repeat(64);
        for r in &rows {
            let seq: i64 = r.get("seq");
            let content = serde_json::json!([
                seq,
                r.get::<i64, _>("at"),
                r.get::<String, _>("actor"),
                r.get::<String, _>("action"),
                r.get::<String, _>("entity"),
                r.get::<String, _>("entity_id"),
                r.get::<String, _>("detail")
            ])
            .to_string();
            let hash = if seq < from {
                r.get::<String, _>("hash")
            } else {
                hex::encode(sha2::Sha256::digest(format!("{prev}\n{content}").as_bytes()))
            };
            if seq >= from {
                self.exec(&format!("UPDATE audit_log SET prev_hash = '{prev}', hash = '{hash}' WHERE seq = {seq}"))
                    .await;
            }
            prev = hash;
        }
        self.exec(&format!("UPDATE audit_head SET hash = '{prev}' WHERE id = 1")).await;
    }
}

both_backends! {
    a_chain_rewritten_without_the_key_is_named(s) {
        for i in 0..5 {
            create(&s, &format!("2026-11-27T10:0{i}:00+08:00")).await;
        }
        let raw = RawDb::new(&s).await;
        raw.unguard().await;
        raw.exec("UPDATE audit_log SET detail = '{}' WHERE seq = 3").await;
        raw.recompute_chain_without_key(3).await;
        let report = s.verify_audit().await.unwrap();
        assert!(matches!(&report, AuditReport::Broken { seq: 3, reason } if reason.contains("key")), "{report:?}");
        // The same chain read with another key is not intact either.
        let other = Store::open_keyed(&s.url_for_tests(), store::AuditKey::new(vec![42; 32]).unwrap()).await.unwrap();
        assert!(matches!(other.verify_audit().await.unwrap(), AuditReport::Broken { seq: 1, .. }));
        other.close().await;
    }

    cases_edited_in_the_database_are_named(s) {
        let c = create(&s, "2026-11-27T10:00:00+08:00").await;
        let a = apply(&c, &Action::Accept, &dispatcher(), Some("已受理"), c.created_at + chrono::Duration::seconds(20)).unwrap();
        s.save_case(&c, a, Default::default()).await.unwrap();
        let other = create(&s, "2026-11-27T10:01:00+08:00").await;
        assert!(matches!(s.verify_audit().await.unwrap(), AuditReport::Intact { .. }));
        let raw = RawDb::new(&s).await;
        // A closed case made out of an open one, with nothing in the log.
        raw.exec(&format!("UPDATE cases SET status = 'closed' WHERE id = {}", c.id)).await;
        let report = s.verify_audit().await.unwrap();
        assert!(matches!(&report, AuditReport::Broken { reason, .. } if reason.contains(&format!("case {}", c.id))), "{report:?}");
        raw.exec(&format!("UPDATE cases SET status = 'accepted' WHERE id = {}", c.id)).await;
        assert!(matches!(s.verify_audit().await.unwrap(), AuditReport::Intact { .. }));
        // A staff note rewritten in the timeline.
        raw.exec(&format!("UPDATE case_events SET note = '无' WHERE case_id = {}", c.id)).await;
        assert!(matches!(s.verify_audit().await.unwrap(), AuditReport::Broken { .. }));
        raw.exec(&format!("UPDATE case_events SET note = '已受理' WHERE case_id = {} AND seq = 2", c.id)).await;
        raw.exec(&format!("UPDATE case_events SET note = NULL WHERE case_id = {} AND seq = 1", c.id)).await;
        assert!(matches!(s.verify_audit().await.unwrap(), AuditReport::Intact { .. }));
        // A case removed.
        raw.exec(&format!("DELETE FROM case_events WHERE case_id = {}", other.id)).await;
        raw.exec(&format!("DELETE FROM cases WHERE id = {}", other.id)).await;
        let report = s.verify_audit().await.unwrap();
        assert!(matches!(&report, AuditReport::Broken { reason, .. } if reason.contains("gone")), "{report:?}");
    }
}

both_backends! {
    idempotency_keys_stand_for_the_first_case_for_a_day(s) {
        let at = t("2026-11-27T10:00:00+08:00");
        let keyed = |at: Timestamp, key: &str| {
            let mut c = new_case(at, "330114004001002", false);
            c.idempotency_key = Some(key.to_owned());
            c
        };
        let first = s.create_case(keyed(at, "api:1:k1")).await.unwrap();
        let again = s.create_case(keyed(at + chrono::Duration::minutes(1), "api:1:k1")).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        assert_eq!(s.case_for_key("api:1:k1", at - chrono::Duration::hours(24)).await.unwrap().unwrap().id, first.id);
        assert!(s.case_for_key("api:2:k1", at - chrono::Duration::hours(24)).await.unwrap().is_none());
        // Twenty retries racing each other: one case.
        let mut tasks = vec![];
        for i in 0..20 {
            let s = s.clone();
            let c = keyed(at + chrono::Duration::seconds(i), "api:1:race");
            tasks.push(tokio::spawn(async move { s.create_case(c).await }));
        }
        let mut made = vec![];
        for task in tasks {
            match task.await.unwrap() {
                Ok(c) => made.push(c.id),
                Err(StoreError::Conflict(_)) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(made.len(), 1, "{made:?}");
        assert_eq!(s.count(Table::Cases).await.unwrap(), 2);
        // A day later the key makes way for a new report.
        let later = at + chrono::Duration::hours(25);
        let second = s.create_case(keyed(later, "api:1:k1")).await.unwrap();
        assert_ne!(second.id, first.id);
        assert_eq!(s.case_for_key("api:1:k1", later - chrono::Duration::hours(24)).await.unwrap().unwrap().id, second.id);
        assert!(matches!(s.verify_audit().await.unwrap(), AuditReport::Intact { .. }));
    }
}

/// A database written before obligations existed keeps every deadline through the upgrade.
async fn upgrade_keeps_deadlines(url: &str) {
    use domain::obligation::{MatterKind, State};
    store::testing::migrate_to(url, 12).await;
    {
        use sqlx::{Connection, Executor};
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        let t0 = t("2026-11-27T10:00:00+08:00").timestamp_millis();
        let m = |mins: i64| t0 + mins * 60_000;
        for (id, status, closed, alert) in [
            (1, "dispatched", "NULL".to_owned(), m(8).to_string()),
            (2, "closed", m(50).to_string(), "NULL".to_owned()),
        ] {
            conn.execute(format!(
                "INSERT INTO cases (id, version, category, priority, source, grid, lat, lng, description, status, created_at, \
                 updated_at, deadline_accept, deadline_dispatch, deadline_on_site, deadline_first_feedback, deadline_close, \
                 accepted_at, dispatched_at, contacted_at, closed_at, reopened_count, next_alert_at) VALUES \
                 ({id}, 1, 'SJ1002', 'normal', 'hotline', '330114004001001', 30.29, 120.6, '旧案件', '{status}', {t0}, {t0}, \
                 {}, {}, {}, {}, {}, {}, {}, {}, {closed}, 0, {alert})",
                m(1), m(3), m(10), m(60), m(1440), t0 + 20_000, m(2), m(4)
            ).as_str()).await.unwrap();
        }
        conn.execute(format!(
            "INSERT INTO assignments (case_id, idx, responder_id, status, assigned_at, answer_by) VALUES (1, 0, 9, 'active', {}, {})",
            m(2), m(2) + 90_000
        ).as_str()).await.unwrap();
        conn.close().await.unwrap();
    }
    let s = Store::open(url).await.unwrap();
    let c = s.get_case(1).await.unwrap();
    let at = t("2026-11-27T10:00:00+08:00");
    assert_eq!(c.deadlines.dispatch, at + chrono::Duration::minutes(3));
    assert_eq!(c.deadlines.close, at + chrono::Duration::hours(24));
    let obs = s.obligations(MatterKind::Case, 1).await.unwrap();
    let by = |n: &str| obs.iter().find(|o| o.name == n).unwrap().clone();
    // Dispatched at 2 min, the party contacted at 4: kept (late) when both were done.
    assert_eq!((by("dispatch").state, by("dispatch").kept_at), (State::Kept, Some(at + chrono::Duration::minutes(4))));
    assert_eq!(by("on_site").state, State::Open);
    assert_eq!(by("answer:0").due_at, at + chrono::Duration::seconds(210));
    assert_eq!(s.next_alert_due().await.unwrap(), Some(at + chrono::Duration::minutes(8)));
    let closed = s.obligations(MatterKind::Case, 2).await.unwrap();
    assert!(closed.iter().all(|o| matches!(o.state, State::Kept | State::Dropped)));
    assert!(s.open_matters_owing_nothing().await.unwrap().is_empty());
    s.close().await;
    store::testing::discard(url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_keeps_deadlines_sqlite() {
    upgrade_keeps_deadlines(&store::testing::fresh_sqlite_url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_keeps_deadlines_postgres() {
    upgrade_keeps_deadlines(&store::testing::fresh_postgres_url().await).await;
}
