/*
 * Reasoning for OwlCheck: the imports closures of a group of files (e.g. a release file and the
 * Relation Ontology) merged into one ontology, then classified by HermiT 1.4.3 (OWL 2 DL, complete)
 * and ELK 0.6 (OWL 2 EL, fast; incomplete beyond EL, which it says in its log: those messages are
 * reported as the ELK result's warnings).
 */

import java.io.File;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.semanticweb.HermiT.Configuration;
import org.semanticweb.elk.owlapi.ElkReasonerFactory;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.OWLClass;
import org.semanticweb.owlapi.model.OWLAxiom;
import org.semanticweb.owlapi.model.OWLDataFactory;
import org.semanticweb.owlapi.model.OWLEntity;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyCreationException;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.reasoner.InferenceType;
import org.semanticweb.owlapi.reasoner.Node;
import org.semanticweb.owlapi.reasoner.NodeSet;
import org.semanticweb.owlapi.reasoner.OWLReasoner;
import org.slf4j.impl.RecordingLogger;

import uk.ac.manchester.cs.owlapi.modularity.ModuleType;
import uk.ac.manchester.cs.owlapi.modularity.SyntacticLocalityModuleExtractor;

final class Reasoning {

    static final List<String> REASONERS = List.of("hermit", "elk");

    private static final IRI MERGED_IRI = IRI.create("urn:x-ciro-owlcheck:merged");

    private Reasoning() {
    }

    static void run(List<File> group, Loader loader, List<String> reasoners, Set<String> consistencyOnly,
                    List<String> classes, boolean module, StringBuilder json) {
        Set<String> ontologies = new TreeSet<>();
        Set<String> missing = new TreeSet<>();
        List<String> errors = new ArrayList<>();
        List<OWLOntology> parts = new ArrayList<>();
        Set<OWLEntity> focus = new java.util.HashSet<>();  // the signature of the first file's imports closure
        boolean loaded = true;
        for (File file : group) {
            Loader.Loaded l = loader.load(file);
            missing.addAll(l.missingImports);
            for (String e : l.parseErrors) {
                errors.add(file.getName() + ": " + e);
            }
            if (l.ontology == null) {
                loaded = false;
                continue;
            }
            boolean first = file.equals(group.get(0));
            l.ontology.importsClosure().forEach(o -> {
                parts.add(o);
                if (first) {
                    o.signature().forEach(focus::add);
                }
                ontologies.add(o.getOntologyID().getOntologyIRI().map(IRI::toString)
                    .orElse(String.valueOf(l.manager.getOntologyDocumentIRI(o))));
            });
        }

        json.append("{\"files\":").append(Json.list(group.stream().map(File::getPath).collect(Collectors.toList())));
        json.append(",\"loaded\":").append(loaded);
        json.append(",\"ontologies\":").append(Json.list(ontologies));
        json.append(",\"missing_imports\":").append(Json.list(missing));
        json.append(",\"parse_errors\":").append(Json.list(errors));

        OWLOntology merged = null;
        if (loaded) {
            OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
            try {
                merged = manager.createOntology(MERGED_IRI);
            } catch (OWLOntologyCreationException e) {
                throw new IllegalStateException(e); // a fresh manager holds no ontology of that IRI
            }
            for (OWLOntology part : parts) {
                manager.addAxioms(merged, part.axioms());
            }
            if (module) {
                // A STAR module preserves every entailment over `focus`; only its axioms are reasoned over.
                Set<OWLAxiom> axioms = new SyntacticLocalityModuleExtractor(manager, merged, ModuleType.STAR)
                    .extract(focus);
                OWLOntologyManager moduleManager = OWLManager.createOWLOntologyManager();
                try {
                    merged = moduleManager.createOntology(axioms.stream(), MERGED_IRI);
                } catch (OWLOntologyCreationException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        json.append(",\"module\":").append(module);
        json.append(",\"axioms\":").append(merged == null ? 0 : merged.getAxiomCount());
        json.append(",\"logical_axioms\":").append(merged == null ? 0 : merged.getLogicalAxiomCount());
        json.append(",\"classes\":").append(merged == null ? 0 : merged.classesInSignature().count());
        json.append(",\"results\":[");
        if (merged != null) {
            for (int i = 0; i < reasoners.size(); i++) {
                if (i > 0) {
                    json.append(',');
                }
                String name = reasoners.get(i);
                runReasoner(name, !consistencyOnly.contains(name), merged, classes, json);
            }
        }
        json.append("]}");
    }

    private static void runReasoner(String name, boolean classify, OWLOntology ontology, List<String> classes,
                                    StringBuilder json) {
        List<String> warnings = new ArrayList<>();
        String error = null;
        String reasonerName = name.equals("elk") ? "ELK" : "HermiT";
        String version = jarVersion(name);
        Boolean consistent = null;
        Set<String> unsatisfiable = new TreeSet<>();
        StringBuilder queries = new StringBuilder();
        long start = System.nanoTime();
        OWLReasoner reasoner = null;
        if (name.equals("elk")) {
            RecordingLogger.startRecording();
        }
        try {
            reasoner = create(name, ontology);
            consistent = reasoner.isConsistent();
            if (consistent && classify) {
                reasoner.precomputeInferences(InferenceType.CLASS_HIERARCHY);
                reasoner.getUnsatisfiableClasses().entities()
                    .filter(c -> !c.isOWLNothing()).forEach(c -> unsatisfiable.add(c.getIRI().toString()));
            }
            // An inconsistent ontology entails everything: no class hierarchy to report.
            OWLDataFactory df = ontology.getOWLOntologyManager().getOWLDataFactory();
            for (int i = 0; i < classes.size() && classify; i++) {
                queries.append(i > 0 ? "," : "");
                query(reasoner, ontology, df.getOWLClass(IRI.create(classes.get(i))), consistent, queries);
            }
        } catch (RuntimeException | StackOverflowError e) {
            error = Loader.firstLine(e.getClass().getSimpleName() + ": " + e.getMessage());
            queries.setLength(0);
        } finally {
            if (reasoner != null) {
                reasoner.dispose();
            }
            if (name.equals("elk")) {
                warnings.addAll(RecordingLogger.stopRecording());
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        json.append("{\"reasoner\":").append(Json.str(name));
        json.append(",\"name\":").append(Json.str(reasonerName));
        json.append(",\"version\":").append(Json.str(version));
        json.append(",\"consistent\":").append(consistent == null ? "null" : consistent.toString());
        json.append(",\"classified\":").append(classify && Boolean.TRUE.equals(consistent) && error == null);
        json.append(",\"unsatisfiable\":").append(Json.list(unsatisfiable));
        json.append(",\"warnings\":").append(Json.list(warnings));
        json.append(",\"error\":").append(Json.str(error));
        json.append(",\"seconds\":").append(String.format(java.util.Locale.ROOT, "%.3f", seconds));
        json.append(",\"inferences\":[").append(queries).append("]}");
    }

    /**
     * The reasoner's version as its jar's Maven metadata gives it: HermiT 1.4.3.517's own
     * getReasonerVersion() still says 1.4.1.513, and ELK's adds a build date.
     */
    private static String jarVersion(String name) {
        String pom = name.equals("elk")
            ? "/META-INF/maven/io.github.liveontologies/elk-owlapi/pom.properties"
            : "/META-INF/maven/net.sourceforge.owlapi/org.semanticweb.hermit/pom.properties";
        Class<?> anchor = name.equals("elk") ? ElkReasonerFactory.class : Configuration.class;
        try (java.io.InputStream in = anchor.getResourceAsStream(pom)) {
            if (in != null) {
                java.util.Properties p = new java.util.Properties();
                p.load(in);
                return p.getProperty("version");
            }
        } catch (java.io.IOException e) {
            // unknown
        }
        return null;
    }

    private static OWLReasoner create(String name, OWLOntology ontology) {
        if (name.equals("hermit")) {
            // Default configuration, as in Protégé: a datatype outside the OWL 2 datatype map is an
            // error (reported), not silently ignored (HermiT 1.4.3 would ignore it without a word).
            return new org.semanticweb.HermiT.ReasonerFactory().createReasoner(ontology, new Configuration());
        }
        return new ElkReasonerFactory().createReasoner(ontology);
    }

    private static void query(OWLReasoner reasoner, OWLOntology ontology, OWLClass c, boolean consistent,
                              StringBuilder json) {
        boolean known = ontology.containsClassInSignature(c.getIRI());
        json.append("{\"iri\":").append(Json.str(c.getIRI().toString()));
        json.append(",\"in_signature\":").append(known);
        boolean ask = known && consistent;
        json.append(",\"equivalent\":").append(Json.list(ask ? names(reasoner.getEquivalentClasses(c), c) : List.of()));
        json.append(",\"direct_superclasses\":").append(Json.list(ask ? names(reasoner.getSuperClasses(c, true)) : List.of()));
        json.append(",\"superclasses\":").append(Json.list(ask ? names(reasoner.getSuperClasses(c, false)) : List.of()));
        // Unsatisfiable classes (owl:Nothing's node) are subclasses of every class; leave them out, so
        // that "M is among D's subclasses" never holds just because M is unsatisfiable.
        Set<String> bottom = ask ? sortedIrisAll(reasoner.getBottomClassNode().entities()) : Set.of();
        json.append(",\"direct_subclasses\":").append(Json.list(ask ? minus(names(reasoner.getSubClasses(c, true)), bottom) : List.of()));
        json.append(",\"subclasses\":").append(Json.list(ask ? minus(names(reasoner.getSubClasses(c, false)), bottom) : List.of()));
        json.append('}');
    }

    /** Class IRIs of a node set, sorted, without owl:Thing and owl:Nothing (every class has those). */
    private static Collection<String> names(NodeSet<OWLClass> nodes) {
        return sortedIris(nodes.entities());
    }

    /** Class IRIs equivalent to c, without c itself; owl:Nothing stays (c is then unsatisfiable). */
    private static Collection<String> names(Node<OWLClass> node, OWLClass c) {
        Set<String> result = new TreeSet<>();
        node.entities().filter(e -> !e.equals(c) && !e.isOWLThing())
            .forEach(e -> result.add(e.getIRI().toString()));
        return result;
    }

    private static Set<String> sortedIrisAll(Stream<OWLClass> classes) {
        return classes.map(e -> e.getIRI().toString()).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Collection<String> minus(Collection<String> items, Set<String> removed) {
        return items.stream().filter(i -> !removed.contains(i)).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Collection<String> sortedIris(Stream<OWLClass> classes) {
        return classes.filter(e -> !e.isOWLThing() && !e.isOWLNothing()).map(e -> e.getIRI().toString())
            .collect(Collectors.toCollection(TreeSet::new));
    }
}
