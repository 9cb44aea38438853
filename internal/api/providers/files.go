package providers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// fileTarget is a model field that holds an uploaded file's name or a URL
// (authentik's FileFields: application icons, source icons, flow
// backgrounds), with the two actions that set it.
type fileTarget struct {
	uploadOp, urlOp string
	// endpoint is the list path whose detail lookup finds the object.
	endpoint string
	field    string
	// folder is the FileField's upload_to under the media directory.
	folder string
	// perm is what authentik's permission_required asks for.
	perm string
}

var fileTargets = []fileTarget{
	{"core_applications_set_icon_create", "core_applications_set_icon_url_create",
		"/core/applications/", "meta_icon", "application-icons", "authentik_core.change_application"},
	{"sources_all_set_icon_create", "sources_all_set_icon_url_create",
		"/sources/all/", "icon", "source-icons", "authentik_core.change_source"},
	{"flows_instances_set_background_create", "flows_instances_set_background_url_create",
		"/flows/instances/", "background", "flow-backgrounds", "authentik_flows.change_flow"},
}

const (
	// maxUploadSize bounds one uploaded icon or background.
	maxUploadSize = 25 << 20
	// maxFileName is the FileFields' max_length.
	maxFileName = 500
)

// setFile serves the multipart set_icon / set_background actions: the
// uploaded file is stored under the media directory in authentik's folder
// and its name saved on the object; clear=true empties the field instead.
// The replaced file is removed once the new name is committed.
func (h *handlers) setFile(w http.ResponseWriter, r *http.Request, t fileTarget) error {
	ctx := r.Context()
	if _, err := h.fileObject(r, t); err != nil {
		return err
	}
	mediaDir := h.s.Config.MediaDir
	if mediaDir == "" {
		return api.Errorf(http.StatusServiceUnavailable, "Media storage is not configured (media_dir is empty).")
	}
	form, err := readMultipart(w, r, maxUploadSize)
	if err != nil {
		return err
	}
	defer form.RemoveAll()
	var name any // nil clears the field
	if !strings.EqualFold(formValue(form, "clear"), "true") {
		files := form.File["file"]
		if len(files) == 0 {
			return engine.Invalid("file", "No file was submitted.")
		}
		stored, err := saveUpload(mediaDir, t.folder, files[0])
		if err != nil {
			return err
		}
		name = stored
	}
	old, err := h.storeFileName(ctx, r, t, name)
	if err != nil {
		if name != nil {
			removeMedia(mediaDir, t.folder, name.(string))
		}
		return err
	}
	if old != name {
		removeMedia(mediaDir, t.folder, old)
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{})
	return nil
}

// setFileURL serves the set_icon_url / set_background_url actions: the
// field then holds the URL itself, which the API returns as it is.
func (h *handlers) setFileURL(w http.ResponseWriter, r *http.Request, t fileTarget) error {
	ctx := r.Context()
	if _, err := h.fileObject(r, t); err != nil {
		return err
	}
	body, err := api.DecodeBody(r)
	if err != nil {
		return err
	}
	raw, given := body["url"]
	url, isString := raw.(string)
	switch {
	case !given || raw == nil:
		return engine.Invalid("url", "This field is required.")
	case !isString:
		return engine.Invalid("url", "Not a valid string.")
	case strings.TrimSpace(url) == "":
		return engine.Invalid("url", "This field may not be blank.")
	case len(url) > maxFileName:
		return engine.Invalid("url", fmt.Sprintf("Ensure this field has no more than %d characters.", maxFileName))
	}
	old, err := h.storeFileName(ctx, r, t, url)
	if err != nil {
		return err
	}
	if old != url && h.s.Config.MediaDir != "" {
		removeMedia(h.s.Config.MediaDir, t.folder, old)
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{})
	return nil
}

// fileObject finds the action's object (404 first, as get_object() does)
// and checks the caller may change it.
func (h *handlers) fileObject(r *http.Request, t fileTarget) (store.Row, error) {
	ctx := r.Context()
	ep := h.endpoint(t.endpoint)
	m := h.model(ep.Model)
	var row store.Row
	err := h.s.Engine.Store.View(ctx, func(tx store.Tx) error {
		var err error
		row, err = findRow(ctx, tx, m, ep.LookupField, chi.URLParam(r, ep.Lookup))
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := checkView(r, m, row[m.PKColumn]); err != nil {
		return nil, err
	}
	if err := requireOn(r, t.perm, row[m.PKColumn]); err != nil {
		return nil, err
	}
	return row, nil
}

// storeFileName saves name (nil to clear) in the target field and returns
// the name it replaced.
func (h *handlers) storeFileName(ctx context.Context, r *http.Request, t fileTarget, name any) (string, error) {
	ep := h.endpoint(t.endpoint)
	base := h.model(ep.Model)
	var old string
	err := h.s.Engine.Store.Update(ctx, func(tx store.Tx) error {
		row, err := findRow(ctx, tx, base, ep.LookupField, chi.URLParam(r, ep.Lookup))
		if err != nil {
			return err
		}
		var m *registry.Model
		m, row, err = h.concreteRow(ctx, tx, base, row)
		if err != nil {
			return err
		}
		old = str(row[col(m, t.field)])
		return h.setFields(ctx, tx, m, row, map[string]any{t.field: name})
	})
	return old, err
}

// unsafeFileChars are what Django's get_valid_filename drops.
var unsafeFileChars = regexp.MustCompile(`[^-\w.]`)

// saveUpload writes an uploaded file to <mediaDir>/<folder>/ under a
// cleaned, unused name (Django adds a random suffix when the name is taken)
// and returns the stored name relative to the media directory.
func saveUpload(mediaDir, folder string, fh *multipart.FileHeader) (string, error) {
	base := fh.Filename
	if i := strings.LastIndexAny(base, `/\`); i >= 0 {
		base = base[i+1:]
	}
	base = unsafeFileChars.ReplaceAllString(strings.ReplaceAll(strings.TrimSpace(base), " ", "_"), "")
	if base == "" || base == "." || base == ".." {
		return "", engine.Invalid("file", "The submitted data was not a file. Check the encoding type on the form.")
	}
	if fh.Size == 0 {
		return "", engine.Invalid("file", "The submitted file is empty.")
	}
	if fh.Size > maxUploadSize {
		return "", engine.Invalid("file", fmt.Sprintf("The upload is larger than %d MiB.", maxUploadSize>>20))
	}
	if n := len(folder) + 1 + len(base); n > maxFileName {
		return "", engine.Invalid("file", fmt.Sprintf("Ensure this filename has at most %d characters (it has %d).", maxFileName, n))
	}
	dir := filepath.Join(mediaDir, folder)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create media folder %s: %w", dir, err)
	}
	src, err := fh.Open()
	if err != nil {
		return "", engine.Invalid("file", "The submitted file could not be read.")
	}
	defer src.Close()
	ext := path.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	name := base
	for attempt := 0; ; attempt++ {
		dst, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) && attempt < 100 {
			name = stem + "_" + engine.RandomString(7, engine.Alphanumeric) + ext
			continue
		}
		if err != nil {
			return "", fmt.Errorf("store upload %s: %w", name, err)
		}
		_, cerr := io.Copy(dst, src)
		if err := dst.Close(); cerr == nil {
			cerr = err
		}
		if cerr != nil {
			os.Remove(filepath.Join(dir, name))
			return "", fmt.Errorf("store upload %s: %w", name, cerr)
		}
		return folder + "/" + name, nil
	}
}

// removeMedia deletes a stored upload of folder. Names that are URLs,
// static paths or outside the folder are left alone: they are not files
// this action owns.
func removeMedia(mediaDir, folder, name string) {
	if name == "" || strings.Contains(name, "://") || strings.HasPrefix(name, "/") || !strings.HasPrefix(name, folder+"/") {
		return
	}
	rel := filepath.Clean(filepath.FromSlash(name))
	if rel != filepath.Clean(filepath.Join(folder, filepath.Base(rel))) {
		return
	}
	_ = os.Remove(filepath.Join(mediaDir, rel))
}
