package boltstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/frescolabs/fresco/emulator/functions"
)

var (
	bucketFunctions = []byte("functions") // Name -> record (JSON)
	bucketNames     = []byte("names")     // every name and other name -> Name
)

// ErrLocked is what Open returns when another process holds the file.
var ErrLocked = errors.New("the registry file is held by another process")

// Store is a functions.Store in a bbolt file. Reads are served from a
// copy in memory of every record, loaded at Open and replaced after each
// committed write (the file lock makes this process the only writer), so
// that an invocation's Lookup costs no transaction and no decoding.
type Store struct {
	db *bolt.DB

	mu     sync.RWMutex       // held for writing across each write transaction
	byName map[string]string  // every name and other name -> Name
	recs   map[string]*record // Name -> record; replaced, never changed in place
}

var _ functions.Store = (*Store)(nil)

// record is one function with everything that belongs to it: a change to
// any of it rewrites the record in one transaction.
type record struct {
	Function  functions.Function
	Versions  []functions.Version // Versions[0] is $LATEST
	Published int                 // the last number given, never reused
	Aliases   map[string]functions.Alias
}

// Open opens (or creates) the store file at path.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open registry: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 200 * time.Millisecond})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open registry %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open registry %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketFunctions, bucketNames} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("open registry %s: %w", path, err)
	}
	st := &Store{db: db, byName: map[string]string{}, recs: map[string]*record{}}
	if err := db.View(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketNames).ForEach(func(k, v []byte) error {
			st.byName[string(k)] = string(v)
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketFunctions).ForEach(func(k, v []byte) error {
			r, err := decode(k, v)
			if err == nil {
				st.recs[string(k)] = r
			}
			return err
		})
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("open registry %s: %w", path, err)
	}
	return st, nil
}

func decode(k, v []byte) (*record, error) {
	var r record
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("read function %s: %w", k, err)
	}
	if r.Aliases == nil {
		r.Aliases = map[string]functions.Alias{}
	}
	return &r, nil
}

// clone copies r deeply enough to change it: its slices and maps of
// values (the maps inside values are replaced, never changed in place).
func (r *record) clone() *record {
	c := *r
	c.Versions = slices.Clone(r.Versions)
	c.Aliases = maps.Clone(r.Aliases)
	return &c
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// get returns the record of any of a function's names; s.mu is held.
func (s *Store) get(name string) (*record, error) {
	if r := s.recs[s.byName[name]]; r != nil {
		return r, nil
	}
	return nil, fmt.Errorf("function %s: %w", name, functions.ErrNotFound)
}

func put(tx *bolt.Tx, r *record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("write function %s: %w", r.Function.Name, err)
	}
	return tx.Bucket(bucketFunctions).Put([]byte(r.Function.Name), b)
}

// update runs change on a copy of the record of name, commits it, and
// only then serves it.
func (s *Store) update(name string, change func(r *record) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, err := s.get(name)
	if err != nil {
		return err
	}
	r := old.clone()
	if err := change(r); err != nil {
		return err
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return put(tx, r) }); err != nil {
		return err
	}
	s.recs[r.Function.Name] = r
	return nil
}

// view runs read on the record of name.
func (s *Store) view(name string, read func(r *record) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, err := s.get(name)
	if err != nil {
		return err
	}
	return read(r)
}

func (s *Store) CreateFunction(_ context.Context, fn functions.Function, latest functions.Version) error {
	latest.Function, latest.Version = fn.Name, functions.LatestVersion
	s.mu.Lock()
	defer s.mu.Unlock()
	all := append([]string{fn.Name}, fn.OtherNames...)
	for _, n := range all {
		if _, ok := s.byName[n]; ok {
			return fmt.Errorf("function %s: %w", n, functions.ErrExists)
		}
	}
	fn.OtherNames = slices.Clone(fn.OtherNames)
	fn.Tags = maps.Clone(fn.Tags)
	latest.Config.Env = maps.Clone(latest.Config.Env)
	r := &record{Function: fn, Versions: []functions.Version{latest}, Aliases: map[string]functions.Alias{}}
	if err := s.db.Update(func(tx *bolt.Tx) error {
		for _, n := range all {
			if err := tx.Bucket(bucketNames).Put([]byte(n), []byte(fn.Name)); err != nil {
				return err
			}
		}
		return put(tx, r)
	}); err != nil {
		return err
	}
	for _, n := range all {
		s.byName[n] = fn.Name
	}
	s.recs[fn.Name] = r
	return nil
}

func (s *Store) Function(_ context.Context, name string) (functions.Function, error) {
	var fn functions.Function
	err := s.view(name, func(r *record) error { fn = r.Function; return nil })
	return fn, err
}

func (s *Store) Functions(_ context.Context) ([]functions.Function, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]functions.Function, 0, len(s.recs))
	for _, n := range slices.Sorted(maps.Keys(s.recs)) {
		fn := s.recs[n].Function
		fn.OtherNames = slices.Clone(fn.OtherNames)
		out = append(out, fn)
	}
	return out, nil
}

func (s *Store) DeleteFunction(_ context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.get(name)
	if err != nil {
		return err
	}
	all := append([]string{r.Function.Name}, r.Function.OtherNames...)
	if err := s.db.Update(func(tx *bolt.Tx) error {
		for _, n := range all {
			if err := tx.Bucket(bucketNames).Delete([]byte(n)); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketFunctions).Delete([]byte(r.Function.Name))
	}); err != nil {
		return err
	}
	for _, n := range all {
		delete(s.byName, n)
	}
	delete(s.recs, r.Function.Name)
	return nil
}

func (s *Store) PutFunction(_ context.Context, fn functions.Function) error {
	return s.update(fn.Name, func(r *record) error {
		fn.Name, fn.OtherNames = r.Function.Name, r.Function.OtherNames
		fn.Tags = maps.Clone(fn.Tags)
		r.Function = fn
		return nil
	})
}

func (s *Store) PutLatest(_ context.Context, v functions.Version) error {
	return s.update(v.Function, func(r *record) error {
		v.Function, v.Version = r.Function.Name, functions.LatestVersion
		v.Config.Env = maps.Clone(v.Config.Env)
		r.Versions[0] = v
		return nil
	})
}

func (s *Store) PublishVersion(_ context.Context, v functions.Version) (functions.Version, error) {
	err := s.update(v.Function, func(r *record) error {
		r.Published++
		v.Function, v.Version = r.Function.Name, strconv.Itoa(r.Published)
		v.Config.Env = maps.Clone(v.Config.Env)
		r.Versions = append(r.Versions, v)
		return nil
	})
	if err != nil {
		return functions.Version{}, err
	}
	v.Config.Env = maps.Clone(v.Config.Env)
	return v, nil
}

func (s *Store) Version(_ context.Context, function, version string) (functions.Version, error) {
	var out functions.Version
	err := s.view(function, func(r *record) error {
		for _, v := range r.Versions {
			if v.Version == version {
				out = v
				return nil
			}
		}
		return fmt.Errorf("version %s:%s: %w", function, version, functions.ErrNotFound)
	})
	return out, err
}

func (s *Store) Versions(_ context.Context, function string) ([]functions.Version, error) {
	var out []functions.Version
	err := s.view(function, func(r *record) error { out = slices.Clone(r.Versions); return nil })
	return out, err
}

func (s *Store) DeleteVersion(_ context.Context, function, version string) error {
	return s.update(function, func(r *record) error {
		for i, v := range r.Versions {
			if i > 0 && v.Version == version {
				r.Versions = slices.Delete(r.Versions, i, i+1)
				return nil
			}
		}
		return fmt.Errorf("version %s:%s: %w", function, version, functions.ErrNotFound)
	})
}

func (s *Store) PutAlias(_ context.Context, a functions.Alias) error {
	return s.update(a.Function, func(r *record) error {
		a.Function = r.Function.Name
		a.RoutingWeights = maps.Clone(a.RoutingWeights)
		r.Aliases[a.Name] = a
		return nil
	})
}

func (s *Store) Alias(_ context.Context, function, name string) (functions.Alias, error) {
	var out functions.Alias
	err := s.view(function, func(r *record) error {
		a, ok := r.Aliases[name]
		if !ok {
			return fmt.Errorf("alias %s:%s: %w", function, name, functions.ErrNotFound)
		}
		out = a
		return nil
	})
	return out, err
}

func (s *Store) Aliases(_ context.Context, function string) ([]functions.Alias, error) {
	var out []functions.Alias
	err := s.view(function, func(r *record) error {
		out = make([]functions.Alias, 0, len(r.Aliases))
		for _, n := range slices.Sorted(maps.Keys(r.Aliases)) {
			out = append(out, r.Aliases[n])
		}
		return nil
	})
	return out, err
}

func (s *Store) DeleteAlias(_ context.Context, function, name string) error {
	return s.update(function, func(r *record) error {
		if _, ok := r.Aliases[name]; !ok {
			return fmt.Errorf("alias %s:%s: %w", function, name, functions.ErrNotFound)
		}
		delete(r.Aliases, name)
		return nil
	})
}

// DeleteUnmanaged removes every function that is not Managed: a
// template's, which the next start seeds again from the template.
func (s *Store) DeleteUnmanaged(ctx context.Context) error {
	fns, err := s.Functions(ctx)
	if err != nil {
		return err
	}
	for _, fn := range fns {
		if !fn.Managed {
			if err := s.DeleteFunction(ctx, fn.Name); err != nil {
				return err
			}
		}
	}
	return nil
}
