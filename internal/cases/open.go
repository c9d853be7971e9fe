package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/catalog"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/ref"
	"github.com/rathaus/rathaus/internal/records"
)

// Open makes the case of a submitted application (the forms.submitted
// job): in the responsible unit, with the current workflow declaration of
// the service (kept for the case's life), the deadline in working days and
// an e-file holding the application's receipt, data and uploads. It is
// idempotent: a second call returns the existing case.
func (s *Service) Open(ctx context.Context, tenantID int64, applicationRef string) (*Case, error) {
	if c, err := caseByApplication(ctx, s.DB.R, tenantID, applicationRef); err == nil {
		return c, nil
	} else if !errors.Is(err, fault.ErrNotFound) {
		return nil, err
	}
	app, err := s.Applications.Application(ctx, tenantID, applicationRef)
	if err != nil {
		return nil, fmt.Errorf("open case for %s: %w", applicationRef, err)
	}
	if app.Status == "withdrawn" {
		return nil, fmt.Errorf("open case for %s: withdrawn: %w", applicationRef, fault.ErrConflict)
	}
	serviceRef := catalog.NormalizeRef(app.ServiceID)
	serviceName, leika := app.FormTitle, ""
	if svc, err := s.Catalog.Get(ctx, tenantID, serviceRef); err == nil {
		serviceName = svc.Service.Name
		if len(svc.Service.LeikaKeys) > 0 {
			leika = svc.Service.LeikaKeys[0]
		}
	}
	unitRef, err := s.ResponsibleUnit(ctx, tenantID, serviceRef)
	if err != nil {
		return nil, err
	}
	unitName := ""
	if unitRef != "" {
		if u, err := s.Identity.Unit(ctx, identity.System(tenantID), tenantID, unitRef); err == nil {
			unitName = u.Name
		} else {
			unitRef = ""
		}
	}
	cal, _, err := s.calendarOf(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	// The application's documents exist before the transaction (forms put
	// them); their sizes come from the store.
	docs := []records.DocumentInput{}
	addDoc := func(name, kind, mediaType, key string, size int64) error {
		if key == "" {
			return nil
		}
		if size <= 0 {
			rc, err := s.Blobs.Open(ctx, key)
			if err != nil {
				return fmt.Errorf("open case for %s: document %s: %w", applicationRef, name, err)
			}
			size, err = rc.Seek(0, io.SeekEnd)
			rc.Close()
			if err != nil {
				return err
			}
		}
		docs = append(docs, records.DocumentInput{Name: name, Kind: kind, MediaType: mediaType, BlobKey: key, Size: size, CreatedAt: app.SubmittedAt})
		return nil
	}
	if err := addDoc("Eingangsbestaetigung-"+app.Ref+".pdf", "receipt", "application/pdf", app.ReceiptPDF, 0); err != nil {
		return nil, err
	}
	if err := addDoc("Antrag-"+app.Ref+".json", "application_json", "application/json", app.ReceiptJSON, 0); err != nil {
		return nil, err
	}
	for _, f := range app.Files {
		if err := addDoc(f.Name, "upload", f.MediaType, f.SHA256, f.Size); err != nil {
			return nil, err
		}
	}

	var c *Case
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		if existing, err := caseByApplication(ctx, tx, tenantID, applicationRef); err == nil {
			c = existing
			return nil
		}
		wf, err := currentOrStandard(tx, tenantID, serviceRef)
		if err != nil {
			return err
		}
		st, _ := wf.Workflow.State(wf.Workflow.Initial)
		now := tx.Now()
		c = &Case{Ref: ref.New("C"), ApplicationRef: app.Ref, ServiceRef: serviceRef, ServiceName: serviceName, WorkflowVersion: wf.Version, UnitRef: unitRef,
			State: st.ID, SubmittedAt: app.SubmittedAt.UTC(), OpenedAt: now, StateSince: now, DueAt: cal.Deadline(app.SubmittedAt, wf.Workflow.DeadlineDays),
			StateDueAt: deadlineIn(cal, now, st.DeadlineDays), Revision: 1, tenantID: tenantID, applicantAccountID: app.AccountID, applicantEmail: app.Email}
		fileRef, err := s.Records.Open(tx, records.Opening{TenantID: tenantID, CaseRef: c.Ref, ApplicationRef: app.Ref, Title: serviceName + " – " + app.Ref,
			ServiceRef: serviceRef, ServiceName: serviceName, LeikaKey: leika, UnitRef: unitRef, UnitName: unitName, OpenedAt: now, RetentionYears: wf.Workflow.RetentionYears})
		if err != nil {
			return err
		}
		c.FileRef = fileRef
		if err := s.Records.Add(tx, tenantID, fileRef, docs...); err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO cases (tenant_id, ref, application_ref, service_ref, service_name, workflow_version, unit_ref, state,
			applicant_account_id, applicant_email, submitted_at, opened_at, state_since, due_at, state_due_at, file_ref)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15) RETURNING id`,
			tenantID, c.Ref, c.ApplicationRef, serviceRef, serviceName, wf.Version, unitRef, c.State, nullID(app.AccountID), app.Email,
			c.SubmittedAt, now, c.DueAt, nullTime(c.StateDueAt), fileRef).Scan(&c.id)
		if database.IsUniqueViolation(err) {
			return fmt.Errorf("case for %s opened meanwhile: %w", applicationRef, fault.ErrConflict)
		}
		if err != nil {
			return err
		}
		if err := addEvent(tx, c, identity.System(tenantID), "", "opened", "", map[string]any{"unit": unitRef, "workflow_version": wf.Version, "documents": len(docs)}); err != nil {
			return err
		}
		if st.ApplicantStatus != app.Status && st.ApplicantStatus != "" {
			if err := s.Applications.SetStatus(tx, tenantID, app.Ref, st.ApplicantStatus); err != nil {
				return err
			}
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: "system", Action: "case.open", ObjectType: "case", ObjectRef: c.Ref,
			After: map[string]any{"application": app.Ref, "service": serviceRef, "unit": unitRef, "workflow_version": wf.Version, "state": c.State, "due_at": c.DueAt, "file": fileRef}})
	})
	if err != nil {
		if errors.Is(err, fault.ErrConflict) {
			return caseByApplication(ctx, s.DB.R, tenantID, applicationRef)
		}
		return nil, fmt.Errorf("open case for %s: %w", applicationRef, err)
	}
	return c, nil
}

func caseByApplication(ctx context.Context, q querier, tenantID int64, applicationRef string) (*Case, error) {
	c, err := scanCase(q.QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases WHERE tenant_id = $1 AND application_ref = $2`, tenantID, applicationRef))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("case of %s: %w", applicationRef, fault.ErrNotFound)
	}
	return c, err
}
