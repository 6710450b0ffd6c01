--
-- PostgreSQL database dump
--

\restrict F8lJ6qCChawAebDN2o6lUojnPKlGB0qrLrVR58W2HcismRgEM5S6UiDhccEa6cU

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: bisections; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.bisections (
    key character varying NOT NULL,
    status character varying NOT NULL,
    state text NOT NULL,
    updated_at timestamp with time zone NOT NULL
);


--
-- Name: builds; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.builds (
    id integer NOT NULL,
    framework character varying NOT NULL,
    version character varying NOT NULL,
    commit character varying NOT NULL,
    image character varying NOT NULL,
    image_digest character varying NOT NULL
);


--
-- Name: builds_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.builds_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: builds_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.builds_id_seq OWNED BY public.builds.id;


--
-- Name: configs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.configs (
    id integer NOT NULL,
    slug character varying NOT NULL,
    model character varying NOT NULL,
    "precision" character varying NOT NULL,
    hardware character varying NOT NULL,
    framework character varying NOT NULL,
    isl integer NOT NULL,
    osl integer NOT NULL,
    gpus integer NOT NULL,
    tp integer NOT NULL,
    ep integer NOT NULL,
    pp integer NOT NULL,
    dp_attention boolean NOT NULL,
    spec_method character varying NOT NULL,
    disagg boolean NOT NULL,
    prefill_gpus integer NOT NULL,
    decode_gpus integer NOT NULL,
    scenario character varying NOT NULL
);


--
-- Name: configs_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.configs_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: configs_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.configs_id_seq OWNED BY public.configs.id;


--
-- Name: copies; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.copies (
    id integer NOT NULL,
    sha256 character varying(64) NOT NULL,
    path character varying NOT NULL,
    run_id character varying NOT NULL,
    kind character varying NOT NULL,
    config character varying,
    concurrency integer,
    of_path character varying NOT NULL,
    of_run_id character varying NOT NULL,
    at timestamp with time zone NOT NULL
);


--
-- Name: copies_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.copies_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: copies_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.copies_id_seq OWNED BY public.copies.id;


--
-- Name: cursors; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.cursors (
    upstream character varying NOT NULL,
    kind character varying NOT NULL,
    at timestamp with time zone NOT NULL
);


--
-- Name: dispatches; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.dispatches (
    key character varying NOT NULL,
    upstream character varying NOT NULL,
    event character varying NOT NULL,
    jobs integer NOT NULL,
    state character varying NOT NULL,
    created_at timestamp with time zone NOT NULL,
    sent_at timestamp with time zone
);


--
-- Name: events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events (
    upstream character varying NOT NULL,
    key character varying NOT NULL,
    at timestamp with time zone NOT NULL,
    title character varying NOT NULL,
    jobs integer NOT NULL,
    handled_at timestamp with time zone NOT NULL
);


--
-- Name: failures; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.failures (
    id integer NOT NULL,
    sweep_id integer NOT NULL,
    file_id integer NOT NULL,
    cause character varying NOT NULL,
    concurrency integer,
    message character varying NOT NULL,
    log_tail character varying NOT NULL
);


--
-- Name: failures_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.failures_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: failures_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.failures_id_seq OWNED BY public.failures.id;


--
-- Name: files; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.files (
    id integer NOT NULL,
    sha256 character varying(64) NOT NULL,
    path character varying NOT NULL,
    format character varying NOT NULL,
    ingested_at timestamp with time zone NOT NULL,
    run_id character varying,
    identity character varying DEFAULT ''::character varying NOT NULL
);


--
-- Name: files_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.files_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: files_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.files_id_seq OWNED BY public.files.id;


--
-- Name: meta; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.meta (
    key character varying NOT NULL,
    value character varying
);


--
-- Name: points; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.points (
    id integer NOT NULL,
    sweep_id integer NOT NULL,
    file_id integer NOT NULL,
    concurrency integer,
    tput_per_gpu double precision,
    interactivity double precision,
    output_tput_per_gpu double precision,
    input_tput_per_gpu double precision,
    request_throughput double precision,
    median_ttft_ms double precision,
    mean_ttft_ms double precision,
    p90_ttft_ms double precision,
    p99_ttft_ms double precision,
    median_tpot_ms double precision,
    mean_tpot_ms double precision,
    p90_tpot_ms double precision,
    p99_tpot_ms double precision,
    median_itl_ms double precision,
    mean_itl_ms double precision,
    p90_itl_ms double precision,
    p99_itl_ms double precision,
    median_e2el_ms double precision,
    mean_e2el_ms double precision,
    p90_e2el_ms double precision,
    p99_e2el_ms double precision,
    completed integer,
    failed integer,
    duration_s double precision,
    accept_length double precision,
    interactivity_source character varying,
    suspect character varying
);


--
-- Name: points_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.points_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: points_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.points_id_seq OWNED BY public.points.id;


--
-- Name: provenance; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.provenance (
    run_id character varying NOT NULL,
    url character varying DEFAULT ''::character varying NOT NULL,
    artifact character varying DEFAULT ''::character varying NOT NULL,
    runner character varying DEFAULT ''::character varying NOT NULL,
    host character varying DEFAULT ''::character varying NOT NULL,
    job text DEFAULT ''::text NOT NULL,
    build_framework character varying,
    build_version character varying,
    build_commit character varying,
    build_image character varying,
    build_image_digest character varying,
    gpus text DEFAULT '[]'::text NOT NULL,
    requested_commit character varying DEFAULT ''::character varying NOT NULL,
    reported_commit character varying DEFAULT ''::character varying NOT NULL,
    installed_commit character varying DEFAULT ''::character varying NOT NULL,
    status character varying DEFAULT ''::character varying NOT NULL,
    started_at timestamp with time zone,
    ended_at timestamp with time zone,
    sha256 character varying(64) NOT NULL,
    path character varying NOT NULL,
    ingested_at timestamp with time zone NOT NULL
);


--
-- Name: quarantine; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.quarantine (
    id integer NOT NULL,
    path character varying NOT NULL,
    sha256 character varying(64),
    reason character varying NOT NULL,
    at timestamp with time zone NOT NULL
);


--
-- Name: quarantine_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.quarantine_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: quarantine_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.quarantine_id_seq OWNED BY public.quarantine.id;


--
-- Name: run_stats; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.run_stats (
    file_id integer NOT NULL,
    run_id character varying NOT NULL,
    hardware character varying NOT NULL,
    succeeded integer NOT NULL,
    total integer NOT NULL
);


--
-- Name: runs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.runs (
    run_id character varying NOT NULL,
    started_at timestamp with time zone,
    date_source character varying DEFAULT ''::character varying NOT NULL,
    excluded boolean DEFAULT false NOT NULL,
    exclude_reason character varying DEFAULT ''::character varying NOT NULL,
    updated_at timestamp with time zone
);


--
-- Name: sweeps; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sweeps (
    id integer NOT NULL,
    config_id integer NOT NULL,
    build_id integer NOT NULL,
    run_id character varying NOT NULL,
    repeat integer NOT NULL,
    status character varying NOT NULL,
    cause character varying NOT NULL,
    started_at timestamp with time zone
);


--
-- Name: sweeps_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.sweeps_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: sweeps_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.sweeps_id_seq OWNED BY public.sweeps.id;


--
-- Name: builds id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.builds ALTER COLUMN id SET DEFAULT nextval('public.builds_id_seq'::regclass);


--
-- Name: configs id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.configs ALTER COLUMN id SET DEFAULT nextval('public.configs_id_seq'::regclass);


--
-- Name: copies id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.copies ALTER COLUMN id SET DEFAULT nextval('public.copies_id_seq'::regclass);


--
-- Name: failures id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.failures ALTER COLUMN id SET DEFAULT nextval('public.failures_id_seq'::regclass);


--
-- Name: files id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.files ALTER COLUMN id SET DEFAULT nextval('public.files_id_seq'::regclass);


--
-- Name: points id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.points ALTER COLUMN id SET DEFAULT nextval('public.points_id_seq'::regclass);


--
-- Name: quarantine id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.quarantine ALTER COLUMN id SET DEFAULT nextval('public.quarantine_id_seq'::regclass);


--
-- Name: sweeps id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sweeps ALTER COLUMN id SET DEFAULT nextval('public.sweeps_id_seq'::regclass);


--
-- Data for Name: bisections; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: builds; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.builds VALUES (1, 'vllm', 'v0.21.0', '', 'vllm/vllm-openai-rocm:v0.21.0', '');
INSERT INTO public.builds VALUES (2, 'vllm', 'v1', '', '', '');
INSERT INTO public.builds VALUES (3, 'sglang', 'v0.21.0', '', '', '');


--
-- Data for Name: configs; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.configs VALUES (1, 'kimik2.5/fp4/mi355x/vllm/tp4-ep1-dpafalse/4gpu/spec-none/disagg-false/trace/agentic-coding+offload-lmcache', 'kimik2.5', 'fp4', 'mi355x', 'vllm', 0, 0, 4, 4, 1, 1, false, 'none', false, 0, 0, 'agentic-coding+offload-lmcache');
INSERT INTO public.configs VALUES (2, 'kimik2.5/fp4/mi355x/vllm/tp4-ep1-dpafalse/4gpu/spec-none/disagg-false/trace/agentic-coding', 'kimik2.5', 'fp4', 'mi355x', 'vllm', 0, 0, 4, 4, 1, 1, false, 'none', false, 0, 0, 'agentic-coding');
INSERT INTO public.configs VALUES (3, 'm-a/fp8/h100/vllm/tp8-ep1-dpafalse/8gpu/spec-none/disagg-false/1024x1024/fixed-seq-len', 'm-a', 'fp8', 'h100', 'vllm', 1024, 1024, 8, 8, 1, 1, false, 'none', false, 0, 0, 'fixed-seq-len');
INSERT INTO public.configs VALUES (4, 'm-b/fp8/h100/vllm/tp8-ep1-dpafalse/8gpu/spec-none/disagg-false/1024x1024/fixed-seq-len', 'm-b', 'fp8', 'h100', 'vllm', 1024, 1024, 8, 8, 1, 1, false, 'none', false, 0, 0, 'fixed-seq-len');
INSERT INTO public.configs VALUES (5, 'qwen3.5/fp8/mi300x/sglang/tp8-ep1-dpafalse/8gpu/spec-none/disagg-false/trace/agentic-coding', 'qwen3.5', 'fp8', 'mi300x', 'sglang', 0, 0, 8, 8, 1, 1, false, 'none', false, 0, 0, 'agentic-coding');
INSERT INTO public.configs VALUES (6, 'qwen3.5/fp8/mi300x/sglang/tp8-ep1-dpafalse/8gpu/spec-none/disagg-false/trace/agentic-coding+offload-hicache', 'qwen3.5', 'fp8', 'mi300x', 'sglang', 0, 0, 8, 8, 1, 1, false, 'none', false, 0, 0, 'agentic-coding+offload-hicache');
INSERT INTO public.configs VALUES (7, 'qwen3.5/fp8/mi355x/sglang/tp8-ep1-dpafalse/8gpu/spec-none/disagg-false/trace/agentic-coding+offload-hicache', 'qwen3.5', 'fp8', 'mi355x', 'sglang', 0, 0, 8, 8, 1, 1, false, 'none', false, 0, 0, 'agentic-coding+offload-hicache');
INSERT INTO public.configs VALUES (8, 'qwen3.5/fp8/mi355x/sglang/tp8-ep1-dpafalse/8gpu/spec-none/disagg-false/trace/agentic-coding', 'qwen3.5', 'fp8', 'mi355x', 'sglang', 0, 0, 8, 8, 1, 1, false, 'none', false, 0, 0, 'agentic-coding');
INSERT INTO public.configs VALUES (9, 'glm5.1/fp8/mi300x/sglang/tp8-ep1-dpafalse/8gpu/spec-none/disagg-false/trace/agentic-coding', 'glm5.1', 'fp8', 'mi300x', 'sglang', 0, 0, 8, 8, 1, 1, false, 'none', false, 0, 0, 'agentic-coding');
INSERT INTO public.configs VALUES (10, 'glm5.1/fp8/mi300x/sglang/tp8-ep1-dpafalse/8gpu/spec-none/disagg-false/trace/agentic-coding+offload-hicache', 'glm5.1', 'fp8', 'mi300x', 'sglang', 0, 0, 8, 8, 1, 1, false, 'none', false, 0, 0, 'agentic-coding+offload-hicache');


--
-- Data for Name: copies; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: cursors; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: dispatches; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: events; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: failures; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.failures VALUES (1, 3, 3, 'out-of-memory', NULL, 'CUDA out of memory', 'torch.OutOfMemoryError: CUDA out of memory.');
INSERT INTO public.failures VALUES (2, 4, 4, 'out-of-memory', NULL, 'CUDA out of memory', 'torch.OutOfMemoryError: CUDA out of memory.');


--
-- Data for Name: files; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.files VALUES (1, 'c5ecc4b0ea8121b4c631e1b852bcf82fe23fbdfecd05ac1ab3997c12b4931983', 'agentic-0603/agg_bmk.json', 'inferencex-agg-bmk', '2026-12-03 15:23:34.036681+00', 'agentic-0603', '');
INSERT INTO public.files VALUES (2, 'e925a6b1a98a68016305dca8e5f9943422801031587c07af895b3f3a9bcd6d1e', 'agentic-0603/run_stats.json', 'inferencex-run-stats', '2026-12-03 15:23:34.057391+00', 'agentic-0603', '');
INSERT INTO public.files VALUES (3, '04d2d5072ae6e913ed19df3c104c86ce308586d55e6534f565564b5f79d93e5c', 'failures/run-m-a/failure.json', 'paretobot-failure', '2026-12-03 15:23:34.066883+00', 'r-fail', 'm-a/fp8/h100/vllm/tp8-ep1-dpafalse/8gpu/spec-none/disagg-false/1024x1024/fixed-seq-len vllm v1 repeat 0');
INSERT INTO public.files VALUES (4, '04d2d5072ae6e913ed19df3c104c86ce308586d55e6534f565564b5f79d93e5c', 'failures/run-m-b/failure.json', 'paretobot-failure', '2026-12-03 15:23:34.076232+00', 'r-fail', 'm-b/fp8/h100/vllm/tp8-ep1-dpafalse/8gpu/spec-none/disagg-false/1024x1024/fixed-seq-len vllm v1 repeat 0');
INSERT INTO public.files VALUES (5, '0fbe1f283c0185ef12fb8229b4ce74aba03fd55b3c193e9dbedd52047d02591c', '0601/results_bmk (2)/agg_bmk.json', 'inferencex-agg-bmk', '2026-12-03 15:23:36.34411+00', '0601', '');
INSERT INTO public.files VALUES (6, '2e064becf7d7e67b6059af44c1c8eabe21209932b2129410693a97942f9f4e0d', '0601/results_bmk (3)/agg_bmk.json', 'inferencex-agg-bmk', '2026-12-03 15:23:36.381202+00', '0601', '');
INSERT INTO public.files VALUES (7, 'f14f37d88cd682d42b545c5ed8f44ef754d24191a9f1c47480ca6f6aa28d8f3d', '0601/results_bmk (9)/agg_bmk.json', 'inferencex-agg-bmk', '2026-12-03 15:23:36.392797+00', '0601', '');


--
-- Data for Name: meta; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.meta VALUES ('schema_version', '4');


--
-- Data for Name: points; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.points VALUES (1, 1, 1, 1, 717.3708621079954, 89.16753118322707, 9.775365076305642, 707.5954970316898, NULL, NULL, 1149.2469555081968, 1522.70192, NULL, NULL, 11.214844537358973, 11.50330396, NULL, NULL, 11.214844537358973, 11.50330396, NULL, NULL, 13760.434752852458, 36025.170311, NULL, 61, 0, 1749.039536277, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (2, 1, 1, 2, 1819.6257861259871, 78.05347000596592, 16.85203482238436, 1802.7737513036027, NULL, NULL, 3763.758275663461, 7193.416963800003, NULL, NULL, 12.811730214218104, 15.138595312984688, NULL, NULL, 12.811730214218104, 15.138595312984688, NULL, NULL, 10824.973900658653, 25667.977289700004, NULL, 208, 0, 1800.242541613, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (3, 1, 1, 4, 3559.67664360077, 68.66447872584496, 24.264621745008007, 3535.4120218557623, NULL, NULL, 1879.7266269631727, 2487.529787000001, NULL, NULL, 14.563570838317675, 15.903268060655545, NULL, NULL, 14.563570838317675, 15.903268060655545, NULL, NULL, 8866.938233696883, 19728.449100600003, NULL, 353, 0, 1810.320822703, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (4, 1, 1, 8, 5311.159453338182, 34.71481304083041, 44.216085401736876, 5266.943367936446, NULL, NULL, 2954.277615815104, 4724.652756799994, NULL, NULL, 28.806146783041385, 26.65946356369794, NULL, NULL, 28.806146783041385, 26.65946356369794, NULL, NULL, 20527.633191523437, 49916.80889089998, NULL, 384, 0, 1815.572302944, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (5, 1, 1, 16, 6282.116445228176, 24.483195602293396, 60.7888207982557, 6221.32762442992, NULL, NULL, 6219.142922452283, 7884.724642100005, NULL, NULL, 40.84434141049495, 52.027586659739406, NULL, NULL, 40.84434141049495, 52.027586659739406, NULL, NULL, 40848.24711975726, 110148.40888990002, NULL, 482, 0, 1774.07619664, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (6, 1, 1, 32, 8908.095190370452, 12.938415440444722, 82.37331856378164, 8825.721871806669, NULL, NULL, 4920.854543829048, 7782.153670400001, NULL, NULL, 77.28921710722467, 112.70845800739436, NULL, NULL, 77.28921710722467, 112.70845800739436, NULL, NULL, 55574.847993673524, 141909.44106890002, NULL, 778, 0, 1787.945448452, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (7, 1, 1, 40, 9776.067395266839, 10.788357749255924, 75.70355291266895, 9700.363842354169, NULL, NULL, 6716.016103922885, 16194.149228500017, NULL, NULL, 92.69251384150384, 133.1594051621583, NULL, NULL, 92.69251384150384, 133.1594051621583, NULL, NULL, 68717.27413542288, 164879.46554670023, NULL, 804, 0, 1829.626809719, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (8, 1, 1, 48, 7513.905776696009, 8.515018529255654, 61.40939074130706, 7452.4963859547015, NULL, NULL, 25463.376159704687, 47024.0602827, NULL, NULL, 117.43955653933448, 174.02552877022376, NULL, NULL, 117.43955653933448, 174.02552877022376, NULL, NULL, 110593.4372066297, 241209.99577319997, NULL, 640, 0, 1827.472942579, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (9, 1, 1, 56, 7096.741982669357, 7.822366442212403, 59.92491742459073, 7036.817065244765, NULL, NULL, 56140.7818121511, 88977.159471, NULL, NULL, 127.83855210408291, 205.18572214367882, NULL, NULL, 127.83855210408291, 205.18572214367882, NULL, NULL, 147297.20028671477, 293451.02286539995, NULL, 589, 0, 1829.681286386, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (10, 1, 1, 64, 6944.49609921479, 8.90391450909242, 63.92712674377706, 6880.568972471013, NULL, NULL, 90500.0394718911, 142476.699049, NULL, NULL, 112.31015290845716, 178.9863707979798, NULL, NULL, 112.31015290845716, 178.9863707979798, NULL, NULL, 181268.96941276404, 310259.699989, NULL, 551, 0, 1824.827830407, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (11, 2, 1, 1, 721.3948747961839, 89.53639545848759, 9.830073555364082, 711.5648012408199, NULL, NULL, 1040.810678295082, 1558.36023, NULL, NULL, 11.16864259365497, 11.453443848101266, NULL, NULL, 11.16864259365497, 11.453443848101266, NULL, NULL, 13600.973215819671, 34572.7805, NULL, 61, 0, 1739.305398246, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (12, 2, 1, 2, 1911.9854920256703, 79.27938977357465, 17.071619064051063, 1894.9138729616193, NULL, NULL, 3507.5709424928905, 6732.386114999999, NULL, NULL, 12.613618783596129, 14.541641199999999, NULL, NULL, 12.613618783596129, 14.541641199999999, NULL, NULL, 10485.866271398103, 25481.561023, NULL, 211, 0, 1799.507116738, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (13, 2, 1, 4, 3629.0782537404493, 71.65829218938819, 24.70823562492832, 3604.370018115521, NULL, NULL, 1588.1319231722223, 2194.626432000001, NULL, NULL, 13.955119072012842, 15.23315605237013, NULL, NULL, 13.955119072012842, 15.23315605237013, NULL, NULL, 8461.698003077778, 18403.5463753, NULL, 360, 0, 1817.794709497, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (14, 2, 1, 8, 5445.606485964561, 44.156125885618145, 45.04375068750992, 5400.562735277052, NULL, NULL, 2697.14948375, 3974.0711755000034, NULL, NULL, 22.646914328272278, 24.946930119059264, NULL, NULL, 22.646914328272278, 24.946930119059264, NULL, NULL, 19327.18015677551, 47302.199892600016, NULL, 392, 0, 1818.992618275, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (15, 2, 1, 16, 7149.725860563596, 27.276573423668548, 70.97087672938632, 7078.754983834209, NULL, NULL, 4419.561542863717, 5898.535998000004, NULL, NULL, 36.6614964595324, 45.34882282011323, NULL, NULL, 36.6614964595324, 45.34882282011323, NULL, NULL, 35060.769286541596, 91690.19318420002, NULL, 565, 0, 1823.927728744, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (16, 2, 1, 32, 8685.864754543307, 13.076830218710878, 80.77971577589845, 8605.085038767409, NULL, NULL, 4473.943272797158, 10943.871864600018, NULL, NULL, 76.47113125084074, 122.00133326500836, NULL, NULL, 76.47113125084074, 122.00133326500836, NULL, NULL, 55858.316418965114, 140575.44193160004, NULL, 774, 0, 1823.257838745, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (17, 2, 1, 40, 2356.379816731614, 2.5549398701672508, 14.193271130302954, 2342.186545601311, NULL, NULL, 34795.511495605264, 81739.1342397, NULL, NULL, 391.3986437318927, 671.9600885181521, NULL, NULL, 391.3986437318927, 671.9600885181521, NULL, NULL, 247469.41087077896, 624811.5020039997, NULL, 190, 0, 1820.193510208, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (18, 2, 1, 48, 1776.9005407102625, 1.7055391320671147, 9.737563844246685, 1767.1629768660157, NULL, NULL, 119585.37250571999, 177496.50782169995, NULL, NULL, 586.3248642017373, 881.5560586605621, NULL, NULL, 586.3248642017373, 881.5560586605621, NULL, NULL, 389656.36546449334, 724802.2623046, NULL, 150, 0, 1817.086930881, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (19, 2, 1, 56, 1697.4421080507425, 1.9256394606527276, 10.220119471840928, 1687.2219885789016, NULL, NULL, 212511.2051233793, 296012.32680939994, NULL, NULL, 519.3080119271306, 801.0291455821374, NULL, NULL, 519.3080119271306, 801.0291455821374, NULL, NULL, 467614.05650328274, 770030.3827311998, NULL, 145, 0, 1807.097270329, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (20, 2, 1, 64, 1276.9101860000767, 1.6104138627384863, 7.47044547292802, 1269.4397405271486, NULL, NULL, 395633.5603247619, 576427.2102792001, NULL, NULL, 620.9583903478787, 1167.442914913084, NULL, NULL, 620.9583903478787, 1167.442914913084, NULL, NULL, 673395.8729893523, 1018808.9471754003, NULL, 105, 0, 1803.205718965, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (21, 5, 5, 128, 2576.160933237318, 3.055311431815112, 10.367283242387256, 2565.7936499949305, NULL, NULL, 329378.65170195216, 394334.88743079995, NULL, NULL, 327.2988768303452, 386.4430558903488, NULL, NULL, 327.2988768303452, 386.4430558903488, NULL, NULL, 427279.6005238451, 546539.6663357998, NULL, 439, 0, 1827.057731244, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (22, 6, 5, 128, 2234.6244612211585, 2.7021259710914913, 9.131287320389118, 2225.4931739007693, NULL, NULL, 362862.3944952291, 466501.6618327, NULL, NULL, 370.07897140933886, 444.41623237168136, NULL, NULL, 370.07897140933886, 444.41623237168136, NULL, NULL, 476687.2480660677, 625372.4594354, NULL, 384, 0, 1828.069188309, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (23, 7, 6, 16, 5594.693313747598, 28.908077637255168, 23.731607331218115, 5570.9617064163795, NULL, NULL, 1586.3957514642857, 2961.3966122000006, NULL, NULL, 34.59240744224562, 47.935023639911314, NULL, NULL, 34.59240744224562, 47.935023639911314, NULL, NULL, 13544.372656833333, 27954.227054000017, NULL, 168, 0, 324.630350253, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (24, 8, 6, 16, 5473.522432077177, 26.23688766882847, 23.599766238240775, 5449.922665838936, NULL, NULL, 1516.0556892048191, 2713.3839799999996, NULL, NULL, 38.1142768388676, 51.264487933493555, NULL, NULL, 38.1142768388676, 51.264487933493555, NULL, NULL, 13744.281063373493, 26858.701064999997, NULL, 166, 0, 326.719337902, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (25, 9, 7, 16, 497.51874237320885, 1.0298712633843201, 1.4311835822413437, 496.0875587909675, NULL, NULL, 65772.123738775, 90747.87098390001, NULL, NULL, 970.9951481837074, 1261.263420497786, NULL, NULL, 970.9951481837074, 1261.263420497786, NULL, NULL, 263237.807832275, 463803.3548486004, NULL, 80, 0, 1817.988294643, NULL, 'mean_tpot', NULL);
INSERT INTO public.points VALUES (26, 10, 7, 16, 2599.753987073654, 8.70149637222656, 12.168265046431875, 2587.5857220272223, NULL, NULL, 5736.237791598698, 16509.615541, NULL, NULL, 114.92276238737519, 196.23032822611037, NULL, NULL, 114.92276238737519, 196.23032822611037, NULL, NULL, 49319.63470331236, 98204.669702, NULL, 461, 0, 1826.965464277, NULL, 'mean_tpot', NULL);


--
-- Data for Name: provenance; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: quarantine; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.quarantine VALUES (1, '0601/results_bmk (2)/agg_bmk.json', NULL, 'framework version unknown: the file does not say; pass --framework-version or a sidecar (paretobot-meta.json beside the file)', '2026-12-03 15:23:33.305144+00');
INSERT INTO public.quarantine VALUES (2, '0601/results_bmk (3)/agg_bmk.json', NULL, 'framework version unknown: the file does not say; pass --framework-version or a sidecar (paretobot-meta.json beside the file)', '2026-12-03 15:23:33.328141+00');
INSERT INTO public.quarantine VALUES (3, '0601/results_bmk (9)/agg_bmk.json', NULL, 'framework version unknown: the file does not say; pass --framework-version or a sidecar (paretobot-meta.json beside the file)', '2026-12-03 15:23:33.330443+00');


--
-- Data for Name: run_stats; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.run_stats VALUES (2, 'agentic-0603', 'b200', 0, 0);
INSERT INTO public.run_stats VALUES (2, 'agentic-0603', 'gb300', 0, 0);
INSERT INTO public.run_stats VALUES (2, 'agentic-0603', 'mi300x', 0, 0);
INSERT INTO public.run_stats VALUES (2, 'agentic-0603', 'h100', 0, 0);
INSERT INTO public.run_stats VALUES (2, 'agentic-0603', 'b300', 0, 0);
INSERT INTO public.run_stats VALUES (2, 'agentic-0603', 'mi325x', 0, 0);
INSERT INTO public.run_stats VALUES (2, 'agentic-0603', 'gb200', 0, 0);
INSERT INTO public.run_stats VALUES (2, 'agentic-0603', 'mi355x', 20, 20);
INSERT INTO public.run_stats VALUES (2, 'agentic-0603', 'h200', 0, 0);


--
-- Data for Name: runs; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.runs VALUES ('agentic-0603', '2026-06-03 00:00:00+00', 'folder name', false, '', '2026-12-03 15:23:34.026931+00');
INSERT INTO public.runs VALUES ('r-fail', NULL, '', false, '', '2026-12-03 15:23:34.065549+00');
INSERT INTO public.runs VALUES ('0601', '2026-06-01 00:00:00+00', 'folder name', false, '', '2026-12-03 15:23:36.276611+00');


--
-- Data for Name: sweeps; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.sweeps VALUES (1, 1, 1, 'agentic-0603', 0, 'ok', '', '2026-06-03 00:00:00+00');
INSERT INTO public.sweeps VALUES (2, 2, 1, 'agentic-0603', 0, 'ok', '', '2026-06-03 00:00:00+00');
INSERT INTO public.sweeps VALUES (3, 3, 2, 'r-fail', 0, 'failed', 'out-of-memory', NULL);
INSERT INTO public.sweeps VALUES (4, 4, 2, 'r-fail', 0, 'failed', 'out-of-memory', NULL);
INSERT INTO public.sweeps VALUES (5, 5, 3, '0601', 0, 'ok', '', '2026-06-01 00:00:00+00');
INSERT INTO public.sweeps VALUES (6, 6, 3, '0601', 0, 'ok', '', '2026-06-01 00:00:00+00');
INSERT INTO public.sweeps VALUES (7, 7, 3, '0601', 0, 'ok', '', '2026-06-01 00:00:00+00');
INSERT INTO public.sweeps VALUES (8, 8, 3, '0601', 0, 'ok', '', '2026-06-01 00:00:00+00');
INSERT INTO public.sweeps VALUES (9, 9, 3, '0601', 0, 'ok', '', '2026-06-01 00:00:00+00');
INSERT INTO public.sweeps VALUES (10, 10, 3, '0601', 0, 'ok', '', '2026-06-01 00:00:00+00');


--
-- Name: builds_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.builds_id_seq', 3, true);


--
-- Name: configs_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.configs_id_seq', 10, true);


--
-- Name: copies_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.copies_id_seq', 1, false);


--
-- Name: failures_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.failures_id_seq', 2, true);


--
-- Name: files_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.files_id_seq', 7, true);


--
-- Name: points_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.points_id_seq', 26, true);


--
-- Name: quarantine_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.quarantine_id_seq', 3, true);


--
-- Name: sweeps_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.sweeps_id_seq', 10, true);


--
-- Name: bisections bisections_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.bisections
    ADD CONSTRAINT bisections_pkey PRIMARY KEY (key);


--
-- Name: builds builds_framework_version_commit_image_image_digest_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.builds
    ADD CONSTRAINT builds_framework_version_commit_image_image_digest_key UNIQUE (framework, version, commit, image, image_digest);


--
-- Name: builds builds_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.builds
    ADD CONSTRAINT builds_pkey PRIMARY KEY (id);


--
-- Name: configs configs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.configs
    ADD CONSTRAINT configs_pkey PRIMARY KEY (id);


--
-- Name: configs configs_slug_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.configs
    ADD CONSTRAINT configs_slug_key UNIQUE (slug);


--
-- Name: copies copies_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.copies
    ADD CONSTRAINT copies_pkey PRIMARY KEY (id);


--
-- Name: cursors cursors_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cursors
    ADD CONSTRAINT cursors_pkey PRIMARY KEY (upstream, kind);


--
-- Name: dispatches dispatches_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dispatches
    ADD CONSTRAINT dispatches_pkey PRIMARY KEY (key);


--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (upstream, key);


--
-- Name: failures failures_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.failures
    ADD CONSTRAINT failures_pkey PRIMARY KEY (id);


--
-- Name: files files_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.files
    ADD CONSTRAINT files_pkey PRIMARY KEY (id);


--
-- Name: meta meta_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.meta
    ADD CONSTRAINT meta_pkey PRIMARY KEY (key);


--
-- Name: points points_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.points
    ADD CONSTRAINT points_pkey PRIMARY KEY (id);


--
-- Name: points points_sweep_id_concurrency_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.points
    ADD CONSTRAINT points_sweep_id_concurrency_key UNIQUE (sweep_id, concurrency);


--
-- Name: provenance provenance_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provenance
    ADD CONSTRAINT provenance_pkey PRIMARY KEY (run_id);


--
-- Name: quarantine quarantine_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.quarantine
    ADD CONSTRAINT quarantine_pkey PRIMARY KEY (id);


--
-- Name: runs runs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.runs
    ADD CONSTRAINT runs_pkey PRIMARY KEY (run_id);


--
-- Name: sweeps sweeps_config_id_build_id_run_id_repeat_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sweeps
    ADD CONSTRAINT sweeps_config_id_build_id_run_id_repeat_key UNIQUE (config_id, build_id, run_id, repeat);


--
-- Name: sweeps sweeps_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sweeps
    ADD CONSTRAINT sweeps_pkey PRIMARY KEY (id);


--
-- Name: files uq_files_sha256_identity; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.files
    ADD CONSTRAINT uq_files_sha256_identity UNIQUE (sha256, identity);


--
-- Name: ix_copies_sha256; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_copies_sha256 ON public.copies USING btree (sha256);


--
-- Name: ix_failures_sweep_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_failures_sweep_id ON public.failures USING btree (sweep_id);


--
-- Name: ix_files_sha256; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_files_sha256 ON public.files USING btree (sha256);


--
-- Name: ix_points_sweep_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_points_sweep_id ON public.points USING btree (sweep_id);


--
-- Name: failures failures_file_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.failures
    ADD CONSTRAINT failures_file_id_fkey FOREIGN KEY (file_id) REFERENCES public.files(id);


--
-- Name: failures failures_sweep_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.failures
    ADD CONSTRAINT failures_sweep_id_fkey FOREIGN KEY (sweep_id) REFERENCES public.sweeps(id);


--
-- Name: points points_file_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.points
    ADD CONSTRAINT points_file_id_fkey FOREIGN KEY (file_id) REFERENCES public.files(id);


--
-- Name: points points_sweep_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.points
    ADD CONSTRAINT points_sweep_id_fkey FOREIGN KEY (sweep_id) REFERENCES public.sweeps(id);


--
-- Name: run_stats run_stats_file_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.run_stats
    ADD CONSTRAINT run_stats_file_id_fkey FOREIGN KEY (file_id) REFERENCES public.files(id);


--
-- Name: sweeps sweeps_build_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sweeps
    ADD CONSTRAINT sweeps_build_id_fkey FOREIGN KEY (build_id) REFERENCES public.builds(id);


--
-- Name: sweeps sweeps_config_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sweeps
    ADD CONSTRAINT sweeps_config_id_fkey FOREIGN KEY (config_id) REFERENCES public.configs(id);


--
-- PostgreSQL database dump complete
--

\unrestrict F8lJ6qCChawAebDN2o6lUojnPKlGB0qrLrVR58W2HcismRgEM5S6UiDhccEa6cU

